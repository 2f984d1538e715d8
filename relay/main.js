// @ts-check
// CLI for the relay. Run with the polyfills first (Node 20):
//   node --import ./relay/polyfills.js relay/main.js [--host H] [--port N] [--http-host H]
//        [--http-port N] [--key PATH] [--network FILE] [--announce MULTIADDR[,…]]
// Environment: DOIN_RELAY_HOST, DOIN_RELAY_PORT, DOIN_HTTP_HOST, PORT (HTTP), DOIN_RELAY_KEY,
// DOIN_NETWORK, DOIN_RELAY_ANNOUNCE.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { distRoot, isFile } from '../scripts/static.mjs';
import { DEFAULTS, startRelay } from './relay.js';

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  console.error(message);
  process.exit(2);
}

/**
 * @param {string} name
 * @param {string | undefined} text
 * @param {number} fallback
 */
function portArg(name, text, fallback) {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    fail(`relay: invalid ${name} ${text}`);
  return value;
}

const options = /** @type {const} */ ({
  host: { type: 'string' },
  port: { type: 'string' },
  'http-host': { type: 'string' },
  'http-port': { type: 'string' },
  key: { type: 'string' },
  network: { type: 'string' },
  announce: { type: 'string' },
});
/** @type {ReturnType<typeof parseArgs<{ options: typeof options }>>['values']} */
let values = {};
try {
  values = parseArgs({ options }).values;
} catch (err) {
  fail(`relay: ${err instanceof Error ? err.message : String(err)}`);
}

const env = process.env;
const host = values.host ?? env.DOIN_RELAY_HOST ?? DEFAULTS.host;
const port = portArg('--port', values.port ?? env.DOIN_RELAY_PORT, DEFAULTS.port);
const httpHost = values['http-host'] ?? env.DOIN_HTTP_HOST ?? host;
const httpPort = portArg('--http-port', values['http-port'] ?? env.PORT, DEFAULTS.httpPort);
const keyPath = values.key ?? env.DOIN_RELAY_KEY ?? DEFAULTS.keyPath;
const networkPath = values.network ?? env.DOIN_NETWORK ?? DEFAULTS.networkPath;
// Public addresses behind a proxy, e.g. /dns4/doin.example.org/tcp/443/wss (comma-separated).
const announce = (values.announce ?? env.DOIN_RELAY_ANNOUNCE ?? '')
  .split(',')
  .map((a) => a.trim())
  .filter(Boolean);
for (const addr of announce) {
  if (!/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/(ws|wss|tls\/ws)$/.test(addr)) {
    fail(`relay: --announce ${addr}: expected e.g. /dns4/doin.example.org/tcp/443/wss`);
  }
}

if (!(await isFile(join(distRoot, 'index.html')))) {
  console.error(`relay: ${distRoot}/index.html not found; serving /status only.`);
  console.error('Build the app first (`npm run build`) or start with `npm run relay`.');
}

/** @type {Awaited<ReturnType<typeof startRelay>>} */
let relay;
try {
  relay = await startRelay({ host, port, httpHost, httpPort, keyPath, networkPath, announce });
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

const relayAddr = relay.multiaddrs.find((ma) => ma.includes('/ws/')) ?? relay.multiaddrs[0];
console.log(`doin is running at ${relay.appUrl} (relay ${relayAddr})`);
console.log(
  `network ${relay.networkName}: open the address above in two or more browsers; they find each other here and then talk directly.`,
);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    const timer = setTimeout(() => process.exit(1), 5000);
    timer.unref();
    relay.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`relay: error while stopping: ${err instanceof Error ? err.message : err}`);
        process.exit(1);
      },
    );
  });
}
