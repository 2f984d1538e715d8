import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KeyPair, signBody, signingBytes, verifyBody } from '../../src/core/crypto';
import {
  bytesToHex,
  concatBytes,
  encodeCanonical,
  hexToBytes,
  utf8ToBytes,
} from '../../src/core/encoding';
import { networkIdOf } from '../../src/core/genesis';
import { paramsHash } from '../../src/core/hash';
import {
  commitId,
  signCommit,
  signHeader,
  signReveal,
  signTransfer,
  signVote,
  TAGS,
  verifyCommit,
  verifyHeader,
  verifyReveal,
  verifyTransfer,
  verifyVote,
} from '../../src/core/objects';
import {
  type BlockHeader,
  BlockHeaderSchema,
  type CommitBody,
  CommitBodySchema,
  parse,
  type RevealBody,
  RevealBodySchema,
  type TransferBody,
  TransferBodySchema,
  type VoteBody,
  VoteBodySchema,
} from '../../src/core/schemas';
import { testKey, testParams } from '../support/fixtures';

const NET = networkIdOf(testParams());
const OTHER_NET = networkIdOf(testParams({ name: 'doin-other' }));
const KEYS = ['ada', 'bob', 'cyd'].map(testKey);
const keyOf = (publicKey: string): KeyPair =>
  KEYS.find((k) => k.publicKey === publicKey) as KeyPair;

// ---- arbitraries for each signed body --------------------------------------------------------

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
const account = fc.constantFrom(...KEYS.map((k) => k.publicKey));
const uint = fc.nat({ max: 2 ** 40 });
const metric = fc
  .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
  .filter((d) => !Object.is(d, -0));

const commitBody: fc.Arbitrary<CommitBody> = fc.record({
  domainId: fc.constantFrom('quadratic-16', 'mnist-mlp'),
  optimizer: account,
  commitment: hash,
  claimedMetric: metric,
  baseHeight: uint,
  baseHash: hash,
});
const revealBody: fc.Arbitrary<RevealBody> = fc.record({
  commitId: hash,
  optimizer: account,
  paramsHash: hash,
  nonce: hash,
});
const voteBody: fc.Arbitrary<VoteBody> = fc.record({
  commitId: hash,
  paramsHash: hash,
  evaluator: account,
  metric,
});
const transferBody: fc.Arbitrary<TransferBody> = fc
  .record({
    type: fc.constant('transfer' as const),
    from: account,
    to: account,
    amount: fc.integer({ min: 1, max: 2 ** 40 }),
    fee: uint,
    nonce: uint,
    memo: fc.string({ maxLength: 20 }),
  })
  .filter((t) => t.from !== t.to);
const header: fc.Arbitrary<BlockHeader> = fc.record({
  version: fc.constant(1 as const),
  height: uint,
  prevHash: hash,
  timestamp: uint,
  generator: account,
  threshold: uint,
  incrementSum: uint,
  optimaeRoot: hash,
  txRoot: hash,
});

/** One signed object type: how to sign a body, verify it, and who the signer is. */
interface Kind<B> {
  readonly name: string;
  readonly tag: string;
  readonly body: fc.Arbitrary<B>;
  readonly valid: (body: B) => boolean;
  readonly signer: (body: B) => string;
  readonly sign: (body: B, key: KeyPair, net: string) => string;
  readonly verify: (body: B, signature: string, net: string) => boolean;
}

const kinds: Kind<Record<string, unknown>>[] = [
  {
    name: 'commit',
    tag: TAGS.commit,
    body: commitBody,
    valid: (b: CommitBody) => parse(CommitBodySchema, b).ok,
    signer: (b: CommitBody) => b.optimizer,
    sign: (b: CommitBody, k, net) => signCommit(b, k, net).signature,
    verify: (b: CommitBody, signature, net) => verifyCommit({ ...b, signature }, net),
  } satisfies Kind<CommitBody>,
  {
    name: 'reveal',
    tag: TAGS.reveal,
    body: revealBody,
    valid: (b: RevealBody) => parse(RevealBodySchema, b).ok,
    signer: (b: RevealBody) => b.optimizer,
    sign: (b: RevealBody, k, net) => signReveal(b, k, net).signature,
    verify: (b: RevealBody, signature, net) => verifyReveal({ ...b, signature }, net),
  } satisfies Kind<RevealBody>,
  {
    name: 'vote',
    tag: TAGS.vote,
    body: voteBody,
    valid: (b: VoteBody) => parse(VoteBodySchema, b).ok,
    signer: (b: VoteBody) => b.evaluator,
    sign: (b: VoteBody, k, net) => signVote(b, k, net).signature,
    verify: (b: VoteBody, signature, net) => verifyVote({ ...b, signature }, net),
  } satisfies Kind<VoteBody>,
  {
    name: 'transfer',
    tag: TAGS.transfer,
    body: transferBody,
    valid: (b: TransferBody) => parse(TransferBodySchema, b).ok,
    signer: (b: TransferBody) => b.from,
    sign: (b: TransferBody, k, net) => signTransfer(b, k, net).signature,
    verify: (b: TransferBody, signature, net) => verifyTransfer({ ...b, signature }, net),
  } satisfies Kind<TransferBody>,
  {
    name: 'block header',
    tag: TAGS.block,
    body: header,
    valid: (b: BlockHeader) => parse(BlockHeaderSchema, b).ok,
    signer: (b: BlockHeader) => b.generator,
    sign: (b: BlockHeader, k, net) => signHeader(b, k, net),
    verify: (b: BlockHeader, signature, net) => verifyHeader(b, signature, net, b.generator),
  } satisfies Kind<BlockHeader>,
] as unknown as Kind<Record<string, unknown>>[];

/** A different value of the same JSON type (hex stays hex of the same length). */
function mutate(value: unknown, pick: number): unknown {
  if (typeof value === 'number') {
    // Integers here stay far below 2^53 and metrics within ±1e6, so this always changes them.
    return value + 1 + (pick % 7);
  }
  if (typeof value === 'string') {
    if (/^[0-9a-f]+$/.test(value) && value.length >= 64) {
      const i = pick % value.length;
      const c = value[i] as string;
      const replacement = '0123456789abcdef'[(parseInt(c, 16) + 1 + (pick % 15)) % 16] as string;
      return value.slice(0, i) + replacement + value.slice(i + 1);
    }
    return `${value}${String.fromCharCode(97 + (pick % 26))}`;
  }
  throw new Error(`cannot mutate ${typeof value}`);
}

const flipHexByte = (hex: string, at: number, xor: number): string => {
  const bytes = hexToBytes(hex);
  const i = at % bytes.length;
  bytes[i] = (bytes[i] as number) ^ xor;
  return bytesToHex(bytes);
};

// ---- tests ---------------------------------------------------------------------------------

describe.each(kinds)('$name signatures', (kind) => {
  /** A few signed samples, made once: signing is the expensive part. */
  const samples = fc.sample(kind.body, { numRuns: 4, seed: 42 }).map((body) => ({
    body,
    signature: kind.sign(body, keyOf(kind.signer(body)), NET),
  }));
  const sample = fc.constantFrom(...samples);

  it('round-trips: a fresh signature verifies, and it signs the documented bytes', () => {
    fc.assert(
      fc.property(kind.body, (body) => {
        expect(kind.valid(body)).toBe(true);
        const signature = kind.sign(body, keyOf(kind.signer(body)), NET);
        expect(signature).toMatch(/^[0-9a-f]{128}$/);
        expect(kind.verify(body, signature, NET)).toBe(true);
        // tag ‖ 0x00 ‖ networkId ‖ canonical body, checked with @noble directly.
        const bytes = concatBytes(
          utf8ToBytes(kind.tag),
          Uint8Array.of(0),
          hexToBytes(NET),
          encodeCanonical(body),
        );
        expect(bytesToHex(signingBytes(kind.tag, NET, body))).toBe(bytesToHex(bytes));
        expect(
          ed25519.verify(hexToBytes(signature), bytes, hexToBytes(kind.signer(body)), {
            zip215: false,
          }),
        ).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it('fails when any one field of the body changes', () => {
    fc.assert(
      fc.property(sample, fc.nat(), fc.nat(), ({ body, signature }, field, pick) => {
        const keys = Object.keys(body);
        const key = keys[field % keys.length] as string;
        const changed = { ...body, [key]: mutate(body[key], pick) };
        expect(changed[key]).not.toBe(body[key]);
        expect(kind.verify(changed, signature, NET)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('fails when any byte of the signature or of the signed bytes is flipped', () => {
    fc.assert(
      fc.property(
        sample,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ({ body, signature }, at, xor) => {
          expect(kind.verify(body, flipHexByte(signature, at, xor), NET)).toBe(false);
          const bytes = signingBytes(kind.tag, NET, body);
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ xor;
          expect(
            ed25519.verify(hexToBytes(signature), bytes, hexToBytes(kind.signer(body)), {
              zip215: false,
            }),
          ).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('does not verify under another network id or another tag', () => {
    for (const { body, signature } of samples) {
      expect(kind.verify(body, signature, NET)).toBe(true);
      expect(kind.verify(body, signature, OTHER_NET)).toBe(false);
      for (const tag of Object.values(TAGS)) {
        expect(verifyBody(tag, NET, body, signature, kind.signer(body))).toBe(tag === kind.tag);
      }
    }
  });

  it("fails for another signer's key and for malformed input, without throwing", () => {
    const { body, signature } = samples[0] as (typeof samples)[number];
    const signer = kind.signer(body);
    const other = KEYS.find((k) => k.publicKey !== signer) as KeyPair;
    // Signed by someone else while naming `signer`.
    expect(kind.verify(body, kind.sign(body, other, NET), NET)).toBe(false);
    expect(verifyBody(kind.tag, NET, body, signature, other.publicKey)).toBe(false);
    for (const bad of ['', 'zz', signature.slice(2), `${signature}00`]) {
      expect(verifyBody(kind.tag, NET, body, bad, signer)).toBe(false);
    }
    expect(verifyBody(kind.tag, 'not-hex', body, signature, signer)).toBe(false);
    expect(verifyBody(kind.tag, NET, body, signature, 'not-a-key')).toBe(false);
    expect(verifyBody(kind.tag, NET, { ...body, extra: Number.NaN }, signature, signer)).toBe(
      false,
    );
  });
});

describe('signature strictness', () => {
  it('rejects the malleated twin (R, S + L) of a valid signature', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const body = { n: 1 };
    const key = KEYS[0] as KeyPair;
    const signature = signBody(TAGS.vote, NET, body, key);
    expect(verifyBody(TAGS.vote, NET, body, signature, key.publicKey)).toBe(true);
    const bytes = hexToBytes(signature);
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(bytes[i] as number);
    s += L;
    for (let i = 32; i < 64; i++) {
      bytes[i] = Number(s & 0xffn);
      s >>= 8n;
    }
    expect(verifyBody(TAGS.vote, NET, body, bytesToHex(bytes), key.publicKey)).toBe(false);
  });

  it('the signature field is not part of what is signed or of the commit id', () => {
    const key = KEYS[1] as KeyPair;
    const body: CommitBody = {
      domainId: 'quadratic-16',
      optimizer: key.publicKey,
      commitment: '11'.repeat(32),
      claimedMetric: 0.25,
      baseHeight: 2,
      baseHash: '22'.repeat(32),
    };
    const commit = signCommit(body, key, NET);
    expect(commitId(commit)).toBe(commitId(body));
    expect(verifyCommit(commit, NET)).toBe(true);
    // An extra field is covered too: adding one breaks the signature.
    expect(verifyCommit({ ...commit, ...{ extra: 1 } }, NET)).toBe(false);
  });
});

describe('paramsHash', () => {
  const reference = (values: Float32Array): string => {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [i, v] of values.entries()) view.setFloat32(i * 4, v, true);
    return bytesToHex(sha256(bytes));
  };

  it('is sha256 of the little-endian float32 bytes, also for views into a larger buffer', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ noNaN: true, maxLength: 64 }),
        fc.nat({ max: 5 }),
        fc.nat({ max: 5 }),
        (values, before, after) => {
          expect(paramsHash(values)).toBe(reference(values));
          const big = new Float32Array(before + values.length + after).fill(7.5);
          big.set(values, before);
          expect(paramsHash(big.subarray(before, before + values.length))).toBe(reference(values));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches known vectors', () => {
    expect(paramsHash(new Float32Array([1]))).toBe(
      bytesToHex(sha256(Uint8Array.of(0x00, 0x00, 0x80, 0x3f))),
    );
    expect(paramsHash(new Float32Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(paramsHash(new Float32Array([0]))).not.toBe(paramsHash(new Float32Array([-0])));
  });
});
