#!/usr/bin/env node
// @ts-check
// The `doin` command of the package: `doin swarm [options]` runs headless nodes (swarm/),
// `doin relay [options]` the relay (relay/main.js). `npx doin swarm --help` lists the options.
// First: Node 20 lacks Promise.withResolvers, which libp2p needs.
import '../relay/polyfills.js';

const USAGE = `Usage: doin <command> [options]

  swarm   run N headless Chromium nodes on a doin network (doin swarm --help)
  relay   run a relay that serves the app and bootstraps browsers
          (--host, --port, --http-host, --http-port, --key, --network, --announce)`;

const [command, ...rest] = process.argv.slice(2);
if (command === 'swarm') {
  const { main } = await import('../swarm/swarm.mjs');
  process.exit(await main(rest));
} else if (command === 'relay') {
  // relay/main.js reads its options from process.argv: drop the command name.
  process.argv.splice(2, 1);
  await import('../relay/main.js');
} else if (
  command === undefined ||
  command === 'help' ||
  command === '--help' ||
  command === '-h'
) {
  console.log(USAGE);
} else {
  console.error(`doin: unknown command ${command}\n\n${USAGE}`);
  process.exit(2);
}
