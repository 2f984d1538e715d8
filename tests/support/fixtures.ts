/** Shared test fixtures: deterministic keys and a small test network on the quadratic domain. */
import { sha256 } from '@noble/hashes/sha2.js';
import { type KeyPair, keyPairFromSeed } from '../../src/core/crypto';
import { utf8ToBytes } from '../../src/core/encoding';
import { createNetworkParams } from '../../src/core/params';
import type { NetworkParams } from '../../src/core/schemas';
import { quadraticDescriptor } from '../../src/domains/quadratic';

export const GENESIS_TIME = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export function testKey(name: string): KeyPair {
  return keyPairFromSeed(sha256(utf8ToBytes(`doin test key ${name}`)));
}

export function testParams(overrides: Partial<NetworkParams> = {}): NetworkParams {
  return {
    ...createNetworkParams({
      name: 'doin-test',
      genesisTimestamp: GENESIS_TIME,
      targetBlockTimeMs: 10_000,
      domains: [quadraticDescriptor],
    }),
    ...overrides,
  };
}
