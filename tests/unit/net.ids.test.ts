/** Account ids and peer ids name the same Ed25519 key: conversions round-trip, junk is null. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPairFromSeed } from '../../src/core/crypto';
import { accountOfPeerId, peerIdOfAccount } from '../../src/net/ids';
import { accountId } from '../../src/node/explorer';

describe('account ids and peer ids', () => {
  it('round-trip for any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const account = keyPairFromSeed(seed).publicKey;
        const peerId = peerIdOfAccount(account);
        expect(peerId).toMatch(/^12D3KooW/);
        expect(accountOfPeerId(peerId as string)).toBe(account);
        expect(accountId(peerId as string)).toBe(account);
        expect(accountId(account)).toBe(account);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses what is neither', () => {
    for (const junk of [
      '',
      'hello',
      '12D3KooW',
      'ab'.repeat(31),
      'zz'.repeat(32),
      'x'.repeat(500),
    ]) {
      expect(accountId(junk)).toBeNull();
    }
    // An RSA/secp peer id names no Ed25519 account.
    expect(accountOfPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')).toBeNull();
  });
});
