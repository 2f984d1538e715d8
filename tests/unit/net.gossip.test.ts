/**
 * Gossip validation (src/net/gossip): every reason a message is accepted, ignored or rejected,
 * against a real BlockTree and real signed objects. Each rule has a case that fails without it;
 * properties check that no bytes make a validator throw, that tampering never yields accept,
 * that a message is accepted once, and that signatures bind the signer and the network.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { encode as cborEncode, rfc8949EncodeOptions } from 'cborg';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { checkReveal, prepareCommit } from '../../src/core/commitReveal';
import { type KeyPair, keyPairFromSeed } from '../../src/core/crypto';
import { genesisState } from '../../src/core/genesis';
import { type Hash, hashTagged } from '../../src/core/hash';
import {
  blockHash,
  signCommit,
  signHeader,
  signReveal,
  signTransfer,
  signVote,
} from '../../src/core/objects';
import {
  type Block,
  BlockSchema,
  type Commit,
  CommitSchema,
  LIMITS,
  parse,
  type Reveal,
  RevealSchema,
  type Transfer,
  TransferSchema,
  type Vote,
  VoteSchema,
} from '../../src/core/schemas';
import {
  BoundedMap,
  blockTreeContext,
  decodeGossip,
  encodeGossip,
  GOSSIP_TOPICS,
  type GossipContext,
  type GossipObject,
  type GossipTopic,
  GossipValidator,
  type GossipValidatorOptions,
  type GossipVerdict,
  MAX_GOSSIP_BYTES,
  MAX_NONCE_AHEAD,
  REASON_ACTION,
  STALE_BLOCK_DEPTH,
  toTopicValidatorResult,
  voteGossipId,
} from '../../src/net/gossip';
import { extend, key, keyOf, type Made, reseal } from '../support/blocks';
import { GENESIS_TIME, testParams } from '../support/fixtures';

// Signature checks are pure-JS Ed25519: generous limits for slow or busy machines.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
const genesis = genesisState(params);
const NET = genesis.networkId;
const OTHER_NET = hashTagged('test/other-network', 'elsewhere');
const GENESIS_HASH = genesis.tipHash;
const DOMAIN = params.domains[0]?.id as string;
const DRIFT = params.time.maxFutureDriftMs;
const EXPIRY = params.quorum.commitExpiryBlocks;

// ---- chain fixtures -------------------------------------------------------------------------

let b1: Made;
let b2: Made;
let b3: Made;
/** A sibling of b1 (lighter: it came later), on genesis. */
let side1: Made;

beforeAll(() => {
  b1 = extend({ state: genesis }, 'b1', 'ada', 'bob', 10_000);
  b2 = extend(b1, 'b2', 'cyd', 'dee', 10_000);
  b3 = extend(b2, 'b3', 'ada', 'cyd', 10_000, 0.05);
  side1 = extend({ state: genesis }, 'side1', 'dee', 'eve', 21_000);
});

// ---- environment ----------------------------------------------------------------------------

interface Env {
  readonly tree: BlockTree;
  readonly ctx: GossipContext;
  readonly validator: GossipValidator;
  /** Local clock, ms. */
  now: number;
  /** Replaces the tree's head as seen by the validators (to age commits and blocks cheaply). */
  head: { height: number; hash: Hash } | undefined;
  /** Replaces the tree's account nonces. */
  readonly nonces: Map<string, number>;
  imports: number;
}

function makeEnv(options: { tree?: BlockTree; validator?: GossipValidatorOptions } = {}): Env {
  const tree = options.tree ?? new BlockTree(genesis);
  const env = {
    tree,
    now: GENESIS_TIME + 3_600_000,
    head: undefined,
    nonces: new Map(),
    imports: 0,
  } as Omit<Env, 'ctx' | 'validator'> as Env;
  const base = blockTreeContext(tree, () => env.now);
  const ctx: GossipContext = {
    ...base,
    head: () => env.head ?? base.head(),
    accountNonce: (account) => env.nonces.get(account) ?? base.accountNonce(account),
    importBlock: (block) => {
      env.imports++;
      return base.importBlock(block);
    },
  };
  return Object.assign(env, { ctx, validator: new GossipValidator(ctx, options.validator) });
}

// ---- object fixtures ------------------------------------------------------------------------

interface CommitOptions {
  readonly optimizer?: KeyPair;
  readonly base?: { height: number; hash: Hash };
  readonly domainId?: string;
  readonly networkId?: Hash;
}

/** A signed commit on `base` (default: genesis) and its reveal. */
function round(label: string, options: CommitOptions = {}) {
  return prepareCommit(
    {
      domainId: options.domainId ?? DOMAIN,
      paramsHash: hashTagged('gossip/params', label),
      nonce: hashTagged('gossip/nonce', label),
      claimedMetric: 0.1,
      base: options.base ?? { height: 0, hash: GENESIS_HASH },
    },
    options.optimizer ?? key('ada'),
    options.networkId ?? NET,
  );
}

function vote(
  commitId: Hash,
  paramsHash: Hash,
  evaluator: KeyPair,
  metric = 0.1,
  signer: KeyPair = evaluator,
  networkId: Hash = NET,
): Vote {
  return signVote(
    { commitId, paramsHash, evaluator: evaluator.publicKey, metric },
    signer,
    networkId,
  );
}

function transfer(
  from: KeyPair,
  nonce: number,
  options: { to?: string; signer?: KeyPair; networkId?: Hash; amount?: number } = {},
): Transfer {
  return signTransfer(
    {
      type: 'transfer',
      from: from.publicKey,
      to: options.to ?? key('bob').publicKey,
      amount: options.amount ?? 5,
      fee: 1,
      nonce,
      memo: 'thanks',
    },
    options.signer ?? from,
    options.networkId ?? NET,
  );
}

const enc = (value: GossipObject): Uint8Array => encodeGossip(value);

type Expected = { action: 'ignore' | 'reject'; reason: string };
function expectVerdict(verdict: GossipVerdict<unknown>, expected: Expected | 'accept'): void {
  if (expected === 'accept') {
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ action: 'accept' });
  } else {
    expect(verdict).toMatchObject(expected);
  }
}
const ignore = (reason: string): Expected => ({ action: 'ignore', reason });
const reject = (reason: string): Expected => ({ action: 'reject', reason });

// ---- the verdict table ----------------------------------------------------------------------

describe('reasons and actions', () => {
  it('punishes only what no honest peer could send', () => {
    const rejects = Object.entries(REASON_ACTION)
      .filter(([, action]) => action === 'reject')
      .map(([reason]) => reason)
      .sort();
    expect(rejects).toEqual(
      [
        'bad-signature',
        'base-mismatch',
        'coinbase',
        'commitment-mismatch',
        'invalid-block',
        'not-cbor',
        'optimizer-mismatch',
        'params-mismatch',
        'schema',
        'self-transfer',
        'self-vote',
        'too-large',
        'unknown-domain',
        'unknown-topic',
      ].sort(),
    );
    for (const reason of [
      'duplicate',
      'stale',
      'future',
      'unknown-base',
      'unknown-commit',
      'orphan-block',
      'nonce-too-old',
      'nonce-too-far',
      'internal',
    ]) {
      expect(REASON_ACTION[reason as keyof typeof REASON_ACTION]).toBe('ignore');
    }
  });

  it('maps verdicts to gossipsub results', () => {
    const env = makeEnv();
    const { commit } = round('map');
    expect(toTopicValidatorResult(env.validator.validate('doin/1/commit', enc(commit)))).toBe(
      TopicValidatorResult.Accept,
    );
    expect(toTopicValidatorResult(env.validator.validate('doin/1/commit', enc(commit)))).toBe(
      TopicValidatorResult.Ignore,
    );
    expect(toTopicValidatorResult(env.validator.validate('doin/1/commit', new Uint8Array()))).toBe(
      TopicValidatorResult.Reject,
    );
  });
});

// ---- envelope: size, CBOR, schema, topic ------------------------------------------------------

describe('envelope', () => {
  it('rejects unknown topics', () => {
    const env = makeEnv();
    const { commit } = round('topic');
    expectVerdict(env.validator.validate('doin/2/commit', enc(commit)), reject('unknown-topic'));
    expectVerdict(env.validator.validate('', enc(commit)), reject('unknown-topic'));
  });

  it('rejects oversized messages before decoding them', () => {
    const env = makeEnv();
    for (const topic of GOSSIP_TOPICS) {
      const max = MAX_GOSSIP_BYTES[topic];
      // A valid map header followed by junk: only the size rule can refuse it as too large.
      const data = new Uint8Array(max + 1).fill(0xa0);
      expectVerdict(env.validator.validate(topic, data), reject('too-large'));
    }
    // A commit padded past 4 KiB through an extra field: too large, not a schema error.
    const { commit } = round('big');
    const padded = encodeGossip({ ...commit, pad: 'x'.repeat(5_000) } as unknown as Commit);
    expectVerdict(env.validator.validate('doin/1/commit', padded), reject('too-large'));
  });

  it('rejects bytes that are not canonical CBOR', () => {
    const env = makeEnv();
    const { commit } = round('cbor');
    const cases: Uint8Array[] = [
      new Uint8Array(),
      Uint8Array.of(0xff),
      Uint8Array.of(0x80), // an array, not a map
      Uint8Array.of(0xa1, 0x61), // truncated
      // The same commit with the integer baseHeight 0 in a longer form than needed.
      nonCanonicalCommit(commit),
      // A valid map followed by trailing bytes.
      Uint8Array.from([...enc(commit), 0x00]),
    ];
    for (const data of cases) {
      expectVerdict(env.validator.validate('doin/1/commit', data), reject('not-cbor'));
    }
    // The canonical form of the same commit is fine.
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), 'accept');
  });

  it('rejects deeply nested input without throwing', () => {
    const env = makeEnv();
    // { "a": [[[[…]]]] } nested 200,000 deep: within the block limit, beyond any sane stack.
    const depth = 200_000;
    const data = new Uint8Array(3 + depth);
    data.set([0xa1, 0x61, 0x61]);
    data.fill(0x81, 3);
    const verdict = env.validator.validate('doin/1/block', data);
    expect(verdict.action).toBe('reject');
  });

  it('rejects objects that fail the schema', () => {
    const env = makeEnv();
    const { commit, reveal } = round('schema');
    const extra = { ...commit, extra: 1 } as unknown as Commit;
    const { signature: _s, ...unsigned } = commit;
    expectVerdict(env.validator.validate('doin/1/commit', enc(extra)), reject('schema'));
    expectVerdict(
      env.validator.validate('doin/1/commit', encodeGossip(unsigned as Commit)),
      reject('schema'),
    );
    // Right shape, wrong topic: a reveal is not a commit.
    expectVerdict(env.validator.validate('doin/1/commit', enc(reveal)), reject('schema'));
    expectVerdict(env.validator.validate('doin/1/block', enc(commit)), reject('schema'));
    const zero = { ...transfer(key('ada'), 0), amount: 0 } as Transfer;
    expectVerdict(env.validator.validate('doin/1/tx', enc(zero)), reject('schema'));
  });
});

/** The commit's canonical bytes with baseHeight 0 written as 0x18 0x00 instead of 0x00. */
function nonCanonicalCommit(commit: Commit): Uint8Array {
  expect(commit.baseHeight).toBe(0);
  const bytes = enc(commit);
  const marker = cborEncode('baseHeight', rfc8949EncodeOptions);
  const at = indexOf(bytes, marker) + marker.length;
  expect(bytes[at]).toBe(0x00);
  return Uint8Array.from([...bytes.subarray(0, at), 0x18, 0x00, ...bytes.subarray(at + 1)]);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}

// ---- size limits ------------------------------------------------------------------------------

describe('size limits cover the largest valid objects', () => {
  const H = 'f'.repeat(64);
  const S = 'e'.repeat(128);
  const MAX = Number.MAX_SAFE_INTEGER;
  // Integers at the top of the safe range and a float that needs 64 bits: 9 bytes each.
  const worstCommit: Commit = {
    domainId: `a${'-'.repeat(47)}`,
    optimizer: H,
    commitment: H,
    claimedMetric: 0.1,
    baseHeight: MAX,
    baseHash: H,
    signature: S,
  };
  const worstReveal: Reveal = { commitId: H, optimizer: H, paramsHash: H, nonce: H, signature: S };
  const worstVote: Vote = { commitId: H, paramsHash: H, evaluator: H, metric: 0.1, signature: S };
  // Every memo unit a 3-byte UTF-8 character: the most bytes 140 UTF-16 units can take.
  const worstTransfer: Transfer = {
    type: 'transfer',
    from: H,
    to: 'd'.repeat(64),
    amount: MAX,
    fee: MAX,
    nonce: MAX,
    memo: '\u4e00'.repeat(LIMITS.maxMemoLength),
    signature: S,
  };

  it('small objects fit 4 KiB', () => {
    const cases: [GossipTopic, unknown, Parameters<typeof parse>[0], number][] = [
      ['doin/1/commit', worstCommit, CommitSchema, 471],
      ['doin/1/reveal', worstReveal, RevealSchema, 441],
      ['doin/1/vote', worstVote, VoteSchema, 385],
      ['doin/1/tx', worstTransfer, TransferSchema, 767],
    ];
    for (const [topic, value, schema, size] of cases) {
      expect(parse(schema, value).ok).toBe(true);
      const bytes = encodeGossip(value as GossipObject);
      // The sizes quoted in codec.ts.
      expect(bytes.length, topic).toBe(size);
      expect(bytes.length).toBeLessThanOrEqual(MAX_GOSSIP_BYTES[topic]);
      expect(decodeGossip(bytes, MAX_GOSSIP_BYTES[topic]).ok).toBe(true);
    }
  });

  it('a block with every list full fits 1 MiB', () => {
    const block: Block = {
      header: {
        version: 1,
        height: MAX,
        prevHash: H,
        timestamp: MAX,
        generator: H,
        threshold: MAX,
        incrementSum: MAX,
        optimaeRoot: H,
        txRoot: H,
      },
      signature: S,
      optimae: Array.from({ length: LIMITS.maxOptimaePerBlock }, () => ({
        commit: worstCommit,
        reveal: worstReveal,
        votes: Array.from({ length: LIMITS.maxVotesPerOptimae }, () => worstVote),
      })),
      transactions: [
        {
          type: 'coinbase',
          height: MAX,
          outputs: Array.from({ length: LIMITS.maxCoinbaseOutputs }, () => ({
            to: H,
            amount: MAX,
          })),
        },
        ...Array.from({ length: LIMITS.maxTransactionsPerBlock }, () => worstTransfer),
      ],
    };
    expect(parse(BlockSchema, block).ok).toBe(true);
    const bytes = encodeGossip(block);
    expect(bytes.length).toBe(744_626);
    expect(bytes.length).toBeLessThanOrEqual(MAX_GOSSIP_BYTES['doin/1/block']);
    // It gets past the envelope (and is then ignored for its absurd timestamp).
    expectVerdict(makeEnv().validator.validate('doin/1/block', bytes), ignore('future'));
  });
});

// ---- commits ----------------------------------------------------------------------------------

describe('commits', () => {
  it('accepts a signed commit on a known base, once', () => {
    const env = makeEnv();
    const { commit, commitId } = round('c1');
    const first = env.validator.validate('doin/1/commit', enc(commit));
    expect(first).toEqual({ action: 'accept', value: commit, id: commitId });
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), ignore('duplicate'));
  });

  it('ignores a commit on an unknown base and names the base', () => {
    const env = makeEnv();
    const unknown = hashTagged('test/unknown', 'base');
    const { commit } = round('c2', { base: { height: 1, hash: unknown } });
    const verdict = env.validator.validate('doin/1/commit', enc(commit));
    expect(verdict).toMatchObject({ ...ignore('unknown-base'), missing: unknown });
  });

  it('accepts a commit on a side-branch block, rejects one that misstates the base height', () => {
    const env = makeEnv();
    env.tree.add(b1.block);
    env.tree.add(side1.block);
    expect(env.tree.head.hash).toBe(b1.hash);
    const onSide = round('c3', { base: { height: 1, hash: side1.hash } });
    expectVerdict(env.validator.validate('doin/1/commit', enc(onSide.commit)), 'accept');
    const wrong = round('c4', { base: { height: 2, hash: b1.hash } });
    expectVerdict(
      env.validator.validate('doin/1/commit', enc(wrong.commit)),
      reject('base-mismatch'),
    );
  });

  it('ignores commits whose base expired at the head', () => {
    const env = makeEnv();
    const { commit } = round('c5');
    env.head = { height: EXPIRY + 1, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), ignore('stale'));
    env.head = { height: EXPIRY, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), 'accept');
  });

  it('rejects commits for a domain this network does not have', () => {
    const env = makeEnv();
    const { commit } = round('c6', { domainId: 'no-such-domain' });
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), reject('unknown-domain'));
  });

  it('rejects commits signed by someone else or for another network', () => {
    const env = makeEnv();
    const { commit } = round('c7');
    const { signature: _s, ...body } = commit;
    const forged = signCommit(body, key('mallory'), NET);
    const elsewhere = signCommit(body, key('ada'), OTHER_NET);
    expectVerdict(env.validator.validate('doin/1/commit', enc(forged)), reject('bad-signature'));
    expectVerdict(env.validator.validate('doin/1/commit', enc(elsewhere)), reject('bad-signature'));
    // A rejected copy does not count as seen: the genuine commit is still accepted.
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), 'accept');
  });
});

// ---- reveals ----------------------------------------------------------------------------------

describe('reveals', () => {
  it('ignores a reveal before its commit, accepts it after, once', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('r1');
    expect(env.validator.validate('doin/1/reveal', enc(reveal))).toMatchObject({
      ...ignore('unknown-commit'),
      missing: commitId,
    });
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), 'accept');
    expect(env.validator.validate('doin/1/reveal', enc(reveal))).toEqual({
      action: 'accept',
      value: reveal,
      id: commitId,
    });
    expect(checkReveal(commit, reveal, NET)).toEqual({ ok: true });
    expectVerdict(env.validator.validate('doin/1/reveal', enc(reveal)), ignore('duplicate'));
  });

  it('rejects a reveal that does not open the commitment', () => {
    const env = makeEnv();
    const { commit, reveal } = round('r2');
    env.validator.validate('doin/1/commit', enc(commit));
    const { signature: _s, ...body } = reveal;
    const other = signReveal(
      { ...body, paramsHash: hashTagged('gossip/params', 'other') },
      key('ada'),
      NET,
    );
    expect(checkReveal(commit, other, NET).ok).toBe(false);
    expectVerdict(
      env.validator.validate('doin/1/reveal', enc(other)),
      reject('commitment-mismatch'),
    );
    expectVerdict(env.validator.validate('doin/1/reveal', enc(reveal)), 'accept');
  });

  it('rejects a reveal by anyone but the optimizer', () => {
    const env = makeEnv();
    const { commit, reveal } = round('r3');
    env.validator.validate('doin/1/commit', enc(commit));
    const { signature: _s, ...body } = reveal;
    const stolen = signReveal(
      { ...body, optimizer: key('mallory').publicKey },
      key('mallory'),
      NET,
    );
    expectVerdict(
      env.validator.validate('doin/1/reveal', enc(stolen)),
      reject('optimizer-mismatch'),
    );
    // The optimizer's name with someone else's signature.
    const forged = signReveal(body, key('mallory'), NET);
    expectVerdict(env.validator.validate('doin/1/reveal', enc(forged)), reject('bad-signature'));
    const elsewhere = signReveal(body, key('ada'), OTHER_NET);
    expectVerdict(env.validator.validate('doin/1/reveal', enc(elsewhere)), reject('bad-signature'));
  });

  it('ignores a reveal whose commit expired', () => {
    const env = makeEnv();
    const { commit, reveal } = round('r4');
    env.validator.validate('doin/1/commit', enc(commit));
    env.head = { height: EXPIRY + 1, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/reveal', enc(reveal)), ignore('stale'));
  });
});

// ---- votes ------------------------------------------------------------------------------------

describe('votes', () => {
  it('ignores a vote on an unknown commit; accepts it once the commit is known', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v1');
    const v = vote(commitId, reveal.paramsHash, key('bob'));
    expect(env.validator.validate('doin/1/vote', enc(v))).toMatchObject({
      ...ignore('unknown-commit'),
      missing: commitId,
    });
    env.validator.validate('doin/1/commit', enc(commit));
    expect(env.validator.validate('doin/1/vote', enc(v))).toEqual({
      action: 'accept',
      value: v,
      id: voteGossipId(v),
    });
    expectVerdict(env.validator.validate('doin/1/vote', enc(v)), ignore('duplicate'));
  });

  it('ignores a second, different vote by the same evaluator on the same commit', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v2');
    env.validator.validate('doin/1/commit', enc(commit));
    expectVerdict(
      env.validator.validate(
        'doin/1/vote',
        enc(vote(commitId, reveal.paramsHash, key('bob'), 0.2)),
      ),
      'accept',
    );
    const again = vote(commitId, reveal.paramsHash, key('bob'), 0.3);
    expectVerdict(env.validator.validate('doin/1/vote', enc(again)), ignore('duplicate'));
    // Another evaluator is another vote.
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, reveal.paramsHash, key('cyd')))),
      'accept',
    );
  });

  it('checks the params against the reveal once the reveal is known', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v3');
    const elsewhere = hashTagged('gossip/params', 'not-revealed');
    env.validator.validate('doin/1/commit', enc(commit));
    // Before the reveal nobody can tell.
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, elsewhere, key('bob')))),
      'accept',
    );
    expectVerdict(env.validator.validate('doin/1/reveal', enc(reveal)), 'accept');
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, elsewhere, key('cyd')))),
      reject('params-mismatch'),
    );
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, reveal.paramsHash, key('cyd')))),
      'accept',
    );
  });

  it('rejects a vote by the optimizer on its own commit', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v4');
    env.validator.validate('doin/1/commit', enc(commit));
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, reveal.paramsHash, key('ada')))),
      reject('self-vote'),
    );
  });

  it('rejects votes signed by someone else or for another network', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v5');
    env.validator.validate('doin/1/commit', enc(commit));
    const forged = vote(commitId, reveal.paramsHash, key('bob'), 0.1, key('mallory'));
    const elsewhere = vote(commitId, reveal.paramsHash, key('bob'), 0.1, key('bob'), OTHER_NET);
    expectVerdict(env.validator.validate('doin/1/vote', enc(forged)), reject('bad-signature'));
    expectVerdict(env.validator.validate('doin/1/vote', enc(elsewhere)), reject('bad-signature'));
  });

  it('ignores votes on an expired commit', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('v6');
    env.validator.validate('doin/1/commit', enc(commit));
    env.head = { height: EXPIRY + 1, hash: GENESIS_HASH };
    expectVerdict(
      env.validator.validate('doin/1/vote', enc(vote(commitId, reveal.paramsHash, key('bob')))),
      ignore('stale'),
    );
  });
});

// ---- transfers --------------------------------------------------------------------------------

describe('transfers', () => {
  it('accepts a signed transfer at the next nonce, once', () => {
    const env = makeEnv();
    const tx = transfer(key('ada'), 0);
    const verdict = env.validator.validate('doin/1/tx', enc(tx));
    expectVerdict(verdict, 'accept');
    expect(verdict.action === 'accept' && verdict.value).toEqual(tx);
    expectVerdict(env.validator.validate('doin/1/tx', enc(tx)), ignore('duplicate'));
    // Same sender and nonce, different body: only one can ever apply.
    const variant = transfer(key('ada'), 0, { amount: 6 });
    expectVerdict(env.validator.validate('doin/1/tx', enc(variant)), ignore('duplicate'));
  });

  it('rejects a coinbase and a transfer to self', () => {
    const env = makeEnv();
    const coinbase = b1.block.transactions[0];
    expect(coinbase?.type).toBe('coinbase');
    expectVerdict(
      env.validator.validate('doin/1/tx', encodeGossip(coinbase as unknown as Transfer)),
      reject('coinbase'),
    );
    const self = transfer(key('ada'), 0, { to: key('ada').publicKey });
    expectVerdict(env.validator.validate('doin/1/tx', enc(self)), reject('self-transfer'));
  });

  it('ignores nonces already used or too far ahead', () => {
    const env = makeEnv();
    const ada = key('ada');
    env.nonces.set(ada.publicKey, 5);
    expectVerdict(
      env.validator.validate('doin/1/tx', enc(transfer(ada, 4))),
      ignore('nonce-too-old'),
    );
    expectVerdict(env.validator.validate('doin/1/tx', enc(transfer(ada, 5))), 'accept');
    expectVerdict(
      env.validator.validate('doin/1/tx', enc(transfer(ada, 5 + MAX_NONCE_AHEAD + 1))),
      ignore('nonce-too-far'),
    );
    expectVerdict(
      env.validator.validate('doin/1/tx', enc(transfer(ada, 5 + MAX_NONCE_AHEAD))),
      'accept',
    );
  });

  it('reads the next nonce from the chain state', () => {
    const env = makeEnv();
    expect(env.ctx.accountNonce(key('ada').publicKey)).toBe(0);
    expectVerdict(
      env.validator.validate('doin/1/tx', enc(transfer(key('ada'), MAX_NONCE_AHEAD + 1))),
      ignore('nonce-too-far'),
    );
  });

  it('rejects transfers signed by someone else or for another network', () => {
    const env = makeEnv();
    const forged = transfer(key('ada'), 0, { signer: key('mallory') });
    const elsewhere = transfer(key('ada'), 0, { networkId: OTHER_NET });
    expectVerdict(env.validator.validate('doin/1/tx', enc(forged)), reject('bad-signature'));
    expectVerdict(env.validator.validate('doin/1/tx', enc(elsewhere)), reject('bad-signature'));
  });
});

// ---- blocks -----------------------------------------------------------------------------------

describe('blocks', () => {
  it('imports and accepts a valid block, then ignores it as a duplicate', () => {
    const env = makeEnv();
    expect(env.validator.validate('doin/1/block', enc(b1.block))).toEqual({
      action: 'accept',
      value: b1.block,
      id: b1.hash,
    });
    expect(env.tree.head.hash).toBe(b1.hash);
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), ignore('duplicate'));
    expect(env.imports).toBe(1);
  });

  it('ignores a block the chain already has, without importing it again', () => {
    const env = makeEnv();
    env.tree.add(b1.block);
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), ignore('duplicate'));
    expect(env.imports).toBe(0);
  });

  it('accepts a block on a side branch', () => {
    const env = makeEnv();
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), 'accept');
    expectVerdict(env.validator.validate('doin/1/block', enc(side1.block)), 'accept');
    expect(env.tree.head.hash).toBe(b1.hash);
    expect(env.tree.has(side1.hash)).toBe(true);
  });

  it('ignores an orphan and names its parent; it connects when the parent comes', () => {
    const env = makeEnv();
    expect(env.validator.validate('doin/1/block', enc(b2.block))).toMatchObject({
      ...ignore('orphan-block'),
      missing: b1.hash,
    });
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), 'accept');
    expect(env.tree.head.hash).toBe(b2.hash);
    expectVerdict(env.validator.validate('doin/1/block', enc(b2.block)), ignore('duplicate'));
    expectVerdict(env.validator.validate('doin/1/block', enc(b3.block)), 'accept');
  });

  it('ignores blocks too far in the future, without importing them', () => {
    const env = makeEnv();
    env.now = b1.block.header.timestamp - DRIFT - 1;
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), ignore('future'));
    expect(env.imports).toBe(0);
    // Later it is fine: a future block is not remembered as bad.
    env.now = b1.block.header.timestamp - DRIFT;
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), 'accept');
  });

  it("maps the chain's own timestamp-future refusal to ignore", () => {
    const env = makeEnv();
    const ctx: GossipContext = {
      ...env.ctx,
      importBlock: (block) => ({
        status: 'invalid',
        hash: blockHash(block.header),
        error: { code: 'timestamp-future', message: 'too far ahead' },
      }),
    };
    expectVerdict(
      new GossipValidator(ctx).validate('doin/1/block', enc(b1.block)),
      ignore('future'),
    );
  });

  it('ignores blocks far below the head, without importing them', () => {
    const env = makeEnv();
    env.head = { height: 1 + STALE_BLOCK_DEPTH + 1, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), ignore('stale'));
    expect(env.imports).toBe(0);
    env.head = { height: 1 + STALE_BLOCK_DEPTH, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), 'accept');
  });

  it('rejects blocks signed by someone else or for another network, without importing', () => {
    const env = makeEnv();
    const forged = reseal(b1.block, NET, () => {}, { signer: key('mallory') });
    const elsewhere = {
      ...b1.block,
      signature: signHeader(b1.block.header, keyOf(b1.block.header.generator), OTHER_NET),
    };
    expectVerdict(env.validator.validate('doin/1/block', enc(forged)), reject('bad-signature'));
    expectVerdict(env.validator.validate('doin/1/block', enc(elsewhere)), reject('bad-signature'));
    expect(env.imports).toBe(0);
  });

  it('rejects a block the chain refuses, naming the core error', () => {
    const env = makeEnv();
    const bad = reseal(b1.block, NET, (b) => {
      b.header.threshold += 1;
    });
    const verdict = env.validator.validate('doin/1/block', enc(bad));
    expectVerdict(verdict, reject('invalid-block'));
    expect(verdict.action !== 'accept' && verdict.message).toMatch(/^threshold: /);
  });

  it('rejects a genuine header with a tampered body without poisoning the real block', () => {
    const env = makeEnv();
    const tampered = structuredClone(b1.block);
    const firstVote = tampered.optimae[0]?.votes[0] as Vote;
    tampered.optimae[0]?.votes.splice(0, 1, { ...firstVote, metric: firstVote.metric * 2 });
    const verdict = env.validator.validate('doin/1/block', enc(tampered));
    expectVerdict(verdict, reject('invalid-block'));
    expect(verdict.action !== 'accept' && verdict.message).toMatch(/^optimae-root: /);
    const noTx = { ...structuredClone(b2.block), transactions: [] };
    expectVerdict(env.validator.validate('doin/1/block', enc(noTx)), reject('invalid-block'));
    expect(env.imports).toBe(0);
    // Neither the head block nor the would-be orphan was spoiled for the genuine copies.
    expectVerdict(env.validator.validate('doin/1/block', enc(b2.block)), ignore('orphan-block'));
    expectVerdict(env.validator.validate('doin/1/block', enc(b1.block)), 'accept');
    expect(env.tree.head.hash).toBe(b2.hash);
  });
});

// ---- the validator: counters, caches, robustness ----------------------------------------------

describe('GossipValidator', () => {
  it('counts verdicts per topic and keeps the last rejections', () => {
    const env = makeEnv({ validator: { recentRejections: 3 } });
    const { commit, reveal } = round('s1');
    env.validator.validate('doin/1/commit', enc(commit));
    env.validator.validate('doin/1/commit', enc(commit));
    env.validator.validate('doin/1/reveal', new Uint8Array());
    env.validator.validate('doin/1/reveal', enc(reveal));
    env.validator.validate('doin/1/tx', Uint8Array.of(0xa0));
    env.validator.validate('nope', enc(commit));
    env.validator.validate('doin/1/vote', Uint8Array.of(1, 2, 3));
    const stats = env.validator.stats();
    expect(stats['doin/1/commit']).toEqual({ accepted: 1, ignored: 1, rejected: 0 });
    expect(stats['doin/1/reveal']).toEqual({ accepted: 1, ignored: 0, rejected: 1 });
    expect(stats['doin/1/tx']).toEqual({ accepted: 0, ignored: 0, rejected: 1 });
    expect(stats['doin/1/block']).toEqual({ accepted: 0, ignored: 0, rejected: 0 });
    expect(stats.other).toEqual({ accepted: 0, ignored: 0, rejected: 1 });
    // stats() is a copy.
    stats['doin/1/commit'].accepted = 99;
    expect(env.validator.stats()['doin/1/commit'].accepted).toBe(1);
    const recent = env.validator.recentRejections();
    expect(recent.map((r) => [r.topic, r.reason])).toEqual([
      ['doin/1/tx', 'schema'],
      ['nope', 'unknown-topic'],
      ['doin/1/vote', 'not-cbor'],
    ]);
    expect(recent[0]?.at).toBe(env.now);
  });

  it('ignores, never throws, when its context fails', () => {
    const env = makeEnv();
    const broken: GossipContext = {
      ...env.ctx,
      now: () => {
        throw new Error('clock gone');
      },
      head: () => {
        throw new Error('chain gone');
      },
      importBlock: () => {
        throw new Error('store gone');
      },
    };
    const validator = new GossipValidator(broken);
    const { commit } = round('broken');
    expect(validator.validate('doin/1/commit', enc(commit))).toMatchObject(ignore('internal'));
    expect(validator.validate('doin/1/block', enc(b1.block))).toMatchObject(ignore('internal'));
    expect(validator.validate('doin/1/commit', new Uint8Array())).toMatchObject(reject('not-cbor'));
    expect(validator.recentRejections()[0]?.at).toBeNaN();
    expect(validator.validate('doin/1/tx', 'not bytes' as unknown as Uint8Array)).toMatchObject(
      reject('not-cbor'),
    );
  });

  it('forgets the oldest commit when its cache is full', () => {
    const env = makeEnv({ validator: { cacheSizes: { commits: 2 } } });
    const rounds = ['k1', 'k2', 'k3'].map((label) => round(label));
    for (const r of rounds) {
      expectVerdict(env.validator.validate('doin/1/commit', enc(r.commit)), 'accept');
    }
    expectVerdict(
      env.validator.validate('doin/1/reveal', enc(rounds[0]?.reveal as Reveal)),
      ignore('unknown-commit'),
    );
    expectVerdict(
      env.validator.validate('doin/1/reveal', enc(rounds[2]?.reveal as Reveal)),
      'accept',
    );
  });

  it('prune() drops commits that expired at the head', () => {
    const env = makeEnv();
    const { commit, reveal, commitId } = round('p1');
    env.validator.validate('doin/1/commit', enc(commit));
    env.validator.prune();
    const v = vote(commitId, reveal.paramsHash, key('bob'));
    env.head = { height: EXPIRY + 1, hash: GENESIS_HASH };
    expectVerdict(env.validator.validate('doin/1/vote', enc(v)), ignore('stale'));
    env.validator.prune();
    expectVerdict(env.validator.validate('doin/1/vote', enc(v)), ignore('unknown-commit'));
  });

  it('BoundedMap evicts the oldest entry and refreshes on set', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([...map.entries()]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
    expect(() => new BoundedMap(0)).toThrow();
  });
});

// ---- properties -------------------------------------------------------------------------------

/** A fresh validator primed so that `message` is valid on `topic`, and that message. */
interface Primed {
  readonly topic: GossipTopic;
  readonly object: GossipObject;
  readonly validator: () => GossipValidator;
}

function primedCases(): Primed[] {
  const { commit, reveal, commitId } = round('prop');
  const withCommit = () => {
    const env = makeEnv();
    expectVerdict(env.validator.validate('doin/1/commit', enc(commit)), 'accept');
    return env.validator;
  };
  const withReveal = () => {
    const validator = withCommit();
    expectVerdict(validator.validate('doin/1/reveal', enc(reveal)), 'accept');
    return validator;
  };
  return [
    { topic: 'doin/1/commit', object: commit, validator: () => makeEnv().validator },
    { topic: 'doin/1/reveal', object: reveal, validator: withCommit },
    {
      topic: 'doin/1/vote',
      object: vote(commitId, reveal.paramsHash, key('bob')),
      validator: withReveal,
    },
    { topic: 'doin/1/tx', object: transfer(key('ada'), 0), validator: () => makeEnv().validator },
    { topic: 'doin/1/block', object: b1.block, validator: () => makeEnv().validator },
  ];
}

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('append' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(data);
      const at = m.at % data.length;
      out[at] = (out[at] as number) ^ m.xor;
      return out;
    }
    case 'truncate':
      return data.slice(0, m.at % data.length);
    case 'append':
      return Uint8Array.from([...data, ...m.bytes]);
  }
}

describe('properties', () => {
  it('a tampered message never yields accept, and never throws', () => {
    for (const { topic, object, validator } of primedCases()) {
      const data = enc(object);
      // One primed validator per topic: nothing tampered is ever accepted, so none pollutes it.
      const v = validator();
      fc.assert(
        fc.property(mutationArb, (m) => {
          const verdict = v.validate(topic, mutate(data, m));
          expect(verdict.action, `${topic} ${JSON.stringify(verdict)}`).not.toBe('accept');
        }),
        { numRuns: topic === 'doin/1/block' ? 60 : 120 },
      );
      // And the genuine message is still accepted afterwards.
      expectVerdict(v.validate(topic, data), 'accept');
    }
  });

  it('random bytes on any topic are rejected, never thrown on', () => {
    const { validator } = makeEnv();
    const topics = [...GOSSIP_TOPICS, 'doin/1/other', ''];
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      // Starting with a map header, so decoding gets further.
      fc
        .tuple(fc.integer({ min: 0xa0, max: 0xbf }), fc.uint8Array({ maxLength: 512 }))
        .map(([head, rest]) => Uint8Array.from([head, ...rest])),
    );
    fc.assert(
      fc.property(fc.constantFrom(...topics), bytes, (topic, data) => {
        expect(validator.validate(topic, data).action).toBe('reject');
      }),
      { numRuns: 500 },
    );
  });

  it('random CBOR values are rejected', () => {
    const { validator } = makeEnv();
    fc.assert(
      fc.property(
        fc.constantFrom(...GOSSIP_TOPICS),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (topic, value) => {
          let data: Uint8Array;
          try {
            data = encodeGossip(value as unknown as GossipObject);
          } catch {
            return; // not encodable (e.g. -0 or a lone surrogate): nothing to send
          }
          expect(validator.validate(topic, data).action).toBe('reject');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a valid message is accepted once and ignored as a duplicate afterwards', () => {
    for (const { topic, object, validator } of primedCases()) {
      const v = validator();
      const data = enc(object);
      expectVerdict(v.validate(topic, data), 'accept');
      for (let i = 0; i < 3; i++) expectVerdict(v.validate(topic, data), ignore('duplicate'));
      expect(v.stats()[topic]).toMatchObject({ accepted: 1, ignored: 3, rejected: 0 });
    }
  });

  it('re-signing with another key or for another network is rejected', () => {
    const cases = primedCases();
    const signer = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((seed) => keyPairFromSeed(seed));
    const network = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => {
      const id = Buffer.from(b).toString('hex');
      return id === NET ? OTHER_NET : id;
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.oneof(
          signer.map((k) => ({ key: k, net: NET })),
          network.map((net) => ({ key: undefined, net })),
        ),
        ({ topic, object, validator }, { key: other, net }) => {
          const resigned = resign(topic, object, other, net);
          const verdict = validator().validate(topic, enc(resigned));
          expect(verdict).toMatchObject(reject('bad-signature'));
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** The same object signed by `other` (default: its own signer) for network `net`. */
function resign(
  topic: GossipTopic,
  object: GossipObject,
  other: KeyPair | undefined,
  net: Hash,
): GossipObject {
  const signerOf = (id: string) => other ?? keyOf(id);
  switch (topic) {
    case 'doin/1/commit': {
      const { signature: _s, ...body } = object as Commit;
      return signCommit(body, signerOf(body.optimizer), net);
    }
    case 'doin/1/reveal': {
      const { signature: _s, ...body } = object as Reveal;
      return signReveal(body, signerOf(body.optimizer), net);
    }
    case 'doin/1/vote': {
      const { signature: _s, ...body } = object as Vote;
      return signVote(body, signerOf(body.evaluator), net);
    }
    case 'doin/1/tx': {
      const { signature: _s, ...body } = object as Transfer;
      return signTransfer(body, signerOf(body.from), net);
    }
    case 'doin/1/block': {
      const block = object as Block;
      return {
        ...block,
        signature: signHeader(block.header, signerOf(block.header.generator), net),
      };
    }
  }
}
