/**
 * The fast test network the end-to-end tests run on: the cheap quadratic domain and 3 s blocks,
 * its genesis a minute in the past (so the first blocks need little work), written to `dir`.
 */
import '../../relay/polyfills.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRelay } from '../../relay/relay.js';
import { createNetworkParams } from '../../src/core/params';
import { quadraticDescriptor } from '../../src/domains/quadratic';

export type Relay = Awaited<ReturnType<typeof startRelay>>;

/** Writes the network's parameters to `dir`/network.json and returns that path. */
export async function writeFastNetwork(dir: string, name: string): Promise<string> {
  const network = createNetworkParams({
    name,
    genesisTimestamp: Date.now() - 60_000,
    targetBlockTimeMs: 3_000,
    domains: [quadraticDescriptor],
  });
  const networkPath = join(dir, 'network.json');
  await writeFile(networkPath, JSON.stringify(network));
  return networkPath;
}

/** A real relay on free loopback ports running a fresh fast network (key and params in `dir`). */
export async function startFastRelay(dir: string, name: string): Promise<Relay> {
  const networkPath = await writeFastNetwork(dir, name);
  return startRelay({ port: 0, httpPort: 0, keyPath: join(dir, 'relay-key'), networkPath });
}
