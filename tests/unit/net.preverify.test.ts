// Native (WebCrypto) batch verification ahead of applyBlock: it may only make validation cheaper,
// never change a verdict.
import '../../relay/polyfills.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import {
  isStrictPublicKey,
  recordVerifiedSignature,
  signingBytes,
  verifyBody,
} from '../../src/core/crypto';
import { buildDevChain, devKeys } from '../../src/core/devChain';
import { bytesToHex } from '../../src/core/encoding';
import { genesisState } from '../../src/core/genesis';
import { blockSignatures, verifyHeader } from '../../src/core/objects';
import type { Block } from '../../src/core/schemas';
import { preverifyBlocks } from '../../src/net/preverify';
import { testParams } from '../support/fixtures';

const params = testParams();
const genesis = genesisState(params);
const chain = buildDevChain(params, { length: 6, keys: devKeys(5, 'preverify') });
const firstBlock = (): Block => {
  const block = chain.blocks[0];
  if (!block) throw new Error('dev chain is empty');
  return block;
};

describe('native pre-verification of block signatures', () => {
  it('lists every signature a block carries, each over the bytes it covers', () => {
    for (const block of chain.blocks) {
      const items = blockSignatures(block, genesis.networkId);
      const votes = block.optimae.reduce((n, o) => n + o.votes.length, 0);
      const transfers = block.transactions.filter((t) => t.type === 'transfer').length;
      expect(items).toHaveLength(1 + 2 * block.optimae.length + votes + transfers);
      for (const item of items) {
        expect(
          ed25519.verify(
            Buffer.from(item.signature, 'hex'),
            item.message,
            Buffer.from(item.signer, 'hex'),
          ),
        ).toBe(true);
      }
    }
  });

  it('records every valid signature, and the tree reaches the same head as without it', async () => {
    const recorded = await preverifyBlocks(chain.blocks, genesis.networkId);
    const total = chain.blocks.reduce(
      (n, b) => n + blockSignatures(b, genesis.networkId).length,
      0,
    );
    expect(recorded).toBe(total);
    const tree = new BlockTree(genesis);
    for (const block of chain.blocks)
      expect(tree.add(block, { now: chain.lastTimestamp }).status).toBe('head');
    expect(tree.head.hash).toBe(chain.hashes.at(-1));
  });

  it('records nothing for a forged signature, which applyBlock still refuses', async () => {
    const block = structuredClone(firstBlock());
    block.header.timestamp += 1; // the generator's signature no longer covers the header
    const before = blockSignatures(block, genesis.networkId).length;
    expect(await preverifyBlocks([block], genesis.networkId)).toBe(before - 1);
    const result = new BlockTree(genesis).add(block, { now: chain.lastTimestamp });
    expect(result.status).toBe('invalid');
  });

  it('a recorded triple verifies only for exactly those bytes, signer and signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string(), (seed, text) => {
        const pub = bytesToHex(ed25519.getPublicKey(seed));
        const body = { text };
        const message = signingBytes('doin/test', genesis.networkId, body);
        const signature = bytesToHex(ed25519.sign(message, seed));
        expect(recordVerifiedSignature(signature, pub, message)).toBe(true);
        expect(verifyBody('doin/test', genesis.networkId, body, signature, pub)).toBe(true);
        // Another body, tag or network under the same signature is checked for real and fails.
        expect(
          verifyBody('doin/test', genesis.networkId, { text: `${text}!` }, signature, pub),
        ).toBe(false);
        expect(verifyBody('doin/other', genesis.networkId, body, signature, pub)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('never trusts a native verdict for a non-strict key (small order or non-canonical)', () => {
    const identity = `01${'00'.repeat(31)}`; // the neutral point: small order
    const nonCanonical = `${'ff'.repeat(31)}7f`; // y ≥ p
    for (const key of [identity, nonCanonical]) {
      expect(isStrictPublicKey(key)).toBe(false);
      const message = new Uint8Array([1, 2, 3]);
      expect(recordVerifiedSignature('00'.repeat(64), key, message)).toBe(false);
    }
    const header = firstBlock().header;
    expect(verifyHeader(header, '00'.repeat(64), genesis.networkId, identity)).toBe(false);
  });
});
