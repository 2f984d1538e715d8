/**
 * networks/local-testnet.json is the network `npm start` runs (the relay serves it at /network and
 * the page bundles it as the default). It is data so that the plain-JS relay can serve it; this
 * test keeps it equal to the parameters derived from the domain descriptors, so the two cannot
 * drift. UPDATE_NETWORKS=1 rewrites the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { networkIdOf } from '../../src/core/genesis';
import { createNetworkParams } from '../../src/core/params';
import { NetworkParamsSchema, parse } from '../../src/core/schemas';
import { bostonHousingDescriptor } from '../../src/domains/bostonHousing';
import { mackeyGlassDescriptor } from '../../src/domains/mackeyGlass';
import { quadraticDescriptor } from '../../src/domains/quadratic';
import { LOCAL_TESTNET } from '../../src/node/networks';

const file = fileURLToPath(new URL('../../networks/local-testnet.json', import.meta.url));

const expected = createNetworkParams({
  name: 'doin-local-testnet',
  genesisTimestamp: 1_767_225_600_000, // 2026-01-01T00:00:00Z
  // Short, so two tabs see blocks within a minute or two (issue 6).
  targetBlockTimeMs: 15_000,
  domains: [quadraticDescriptor, mackeyGlassDescriptor, bostonHousingDescriptor],
});

describe('networks/local-testnet.json', () => {
  it('equals the parameters derived from the built-in domains', () => {
    if (process.env.UPDATE_NETWORKS || !existsSync(file)) {
      writeFileSync(file, `${JSON.stringify(expected, null, 2)}\n`);
    }
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(expected);
  });

  it('is valid network parameters, and the page bundles the same network', () => {
    const checked = parse(NetworkParamsSchema, JSON.parse(readFileSync(file, 'utf8')));
    expect(checked.ok).toBe(true);
    expect(networkIdOf(LOCAL_TESTNET)).toBe(networkIdOf(expected));
  });
});
