/**
 * BlockTree: fork choice by cumulative work (ties to the lower hash), reorgs that rebuild state
 * by replay, orphans that connect when their parent arrives in any order, invalid blocks and
 * their descendants, duplicates. Branches are built from saved states by different generators
 * and optimizers, as two groups of peers would.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type AddResult, BlockTree } from '../../src/core/blockTree';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import type { Hash } from '../../src/core/hash';
import { blockHash } from '../../src/core/objects';
import type { Block, ChainState } from '../../src/core/schemas';
import { extend, type Made, type Name, replay, reseal } from '../support/blocks';
import { testParams } from '../support/fixtures';

// Signature checks are pure-JS Ed25519: generous limits for slow or busy machines.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

function expectHead(result: AddResult): Extract<AddResult, { status: 'head' }> {
  if (result.status !== 'head') throw new Error(`expected head, got ${JSON.stringify(result)}`);
  return result;
}

// Common parent P1; branch A = A1 (and later A2); branch B = B1, B2. A1 comes 10 s after P1
// (the full threshold), B1 21 s after (just past the grace period, so slightly less work), so
// B1 alone loses to A1 but B1 + B2 outweighs it. A1 + A2 outweighs B again.
let genesis: ChainState;
let p1: Made;
let a1: Made;
let a2: Made;
let b1: Made;
let b2: Made;

beforeAll(() => {
  genesis = genesisState(testParams());
  p1 = extend({ state: genesis }, 'p1', 'ada', 'bob', 10_000, 0.5);
  a1 = extend(p1, 'a1', 'cyd', 'dee', 10_000);
  a2 = extend(a1, 'a2', 'ada', 'cyd', 10_000, 0.05);
  b1 = extend(p1, 'b1', 'dee', 'eve', 21_000);
  b2 = extend(b1, 'b2', 'ada', 'fay', 10_000, 0.05);
});

describe('fork choice by cumulative work', () => {
  it('the fixture branches weigh as intended', () => {
    const work = (m: Made) => m.state.cumulativeWork;
    expect(work(b1)).toBeLessThan(work(a1));
    expect(work(b2)).toBeGreaterThan(work(a1));
    expect(work(a2)).toBeGreaterThan(work(b2));
    expect(b2.state.height).toBe(a2.state.height);
  });

  it('reorgs to a heavier branch and holds the state of that branch', () => {
    const tree = new BlockTree(genesis);
    expect(expectHead(tree.add(p1.block)).reorg).toBeNull();
    expect(expectHead(tree.add(a1.block)).reorg).toBeNull();
    // B1 alone is lighter: kept on the side.
    expect(tree.add(b1.block)).toEqual({ status: 'side', hash: b1.hash });
    expect(tree.head.hash).toBe(a1.hash);
    // B2 makes B heavier: the head moves, A1 is abandoned.
    const result = expectHead(tree.add(b2.block));
    expect(result.hash).toBe(b2.hash);
    expect(result.reorg).toEqual({
      from: a1.hash,
      to: b2.hash,
      commonAncestor: p1.hash,
      abandoned: [a1.hash],
    });
    expect(tree.head).toEqual({
      hash: b2.hash,
      height: 3,
      cumulativeWork: b2.state.cumulativeWork,
    });
    // The state is exactly B's blocks applied from the common ancestor.
    const direct = replay(p1.state, [b1.block, b2.block]);
    expect(tree.state).toStrictEqual(direct[direct.length - 1]);
    expect(tree.state).toStrictEqual(b2.state);
    expect(tree.mainChain()).toEqual([genesisBlock(genesis.params), p1.block, b1.block, b2.block]);
    // A's commit is not on the main chain any more; B's are.
    expect(Object.keys(tree.state.recentCommits)).toHaveLength(3);

    // And back: A1 + A2 outweighs B; two blocks are abandoned, newest first.
    const back = expectHead(tree.add(a2.block));
    expect(back.reorg).toEqual({
      from: b2.hash,
      to: a2.hash,
      commonAncestor: p1.hash,
      abandoned: [b2.hash, b1.hash],
    });
    expect(tree.state).toStrictEqual(a2.state);
  });

  it('prefers the heaviest chain, not the longest', () => {
    // Ten light blocks (a day apart, so the threshold has decayed to almost nothing) against
    // one full-weight block on the same parent.
    let cursor: Made = p1;
    const light: Made[] = [];
    const names: Name[] = ['bob', 'cyd', 'dee', 'eve', 'fay'];
    for (let i = 0; i < 10; i++) {
      cursor = extend(cursor, `light-${i}`, names[i % 5] as Name, 'gus', 86_400_000, 0.5);
      light.push(cursor);
    }
    const heavy = extend(p1, 'heavy', 'eve', 'gus', 10_000);
    expect(heavy.state.cumulativeWork).toBeGreaterThan(cursor.state.cumulativeWork);

    // snapshotInterval 1000: only genesis is a snapshot, and P1's state has left the recent
    // cache, so connecting `heavy` replays P1 from genesis.
    const tree = new BlockTree(genesis, { snapshotInterval: 1000 });
    tree.add(p1.block);
    for (const m of light) expectHead(tree.add(m.block));
    expect(tree.head.height).toBe(11);
    const result = expectHead(tree.add(heavy.block));
    expect(result.reorg?.commonAncestor).toBe(p1.hash);
    expect(result.reorg?.abandoned).toEqual(light.map((m) => m.hash).reverse());
    expect(tree.head.height).toBe(2);
    expect(tree.state).toStrictEqual(heavy.state);
    // Light blocks still connect to the old branch (its states are replayed as needed).
    const more = extend(cursor, 'light-more', 'ada', 'gus', 86_400_000, 0.5);
    expect(tree.add(more.block)).toEqual({ status: 'side', hash: more.hash });
  });

  it('breaks a tie in cumulative work towards the lower hash, in either arrival order', () => {
    // A1' is A1's twin by another generator: same parent, same time, same work.
    const twin = extend(p1, 'a1', 'cyd', 'eve', 10_000);
    expect(twin.state.cumulativeWork).toBe(a1.state.cumulativeWork);
    expect(twin.hash).not.toBe(a1.hash);
    const [low, high] = twin.hash < a1.hash ? [twin, a1] : [a1, twin];
    for (const order of [
      [low, high],
      [high, low],
    ] as const) {
      const tree = new BlockTree(genesis);
      tree.add(p1.block);
      expectHead(tree.add(order[0].block));
      const second = tree.add(order[1].block);
      if (order[1] === low) {
        expect(expectHead(second).reorg).toEqual({
          from: high.hash,
          to: low.hash,
          commonAncestor: p1.hash,
          abandoned: [high.hash],
        });
      } else {
        expect(second).toEqual({ status: 'side', hash: high.hash });
      }
      expect(tree.head.hash).toBe(low.hash);
      expect(tree.state).toStrictEqual(low.state);
    }
  });
});

describe('orphans', () => {
  it('children that arrive before their parents connect when the parents do', () => {
    const tree = new BlockTree(genesis);
    expect(tree.add(b2.block)).toEqual({ status: 'orphan', hash: b2.hash, missingParent: b1.hash });
    expect(tree.add(b1.block)).toEqual({ status: 'orphan', hash: b1.hash, missingParent: p1.hash });
    expect(tree.add(a1.block)).toEqual({ status: 'orphan', hash: a1.hash, missingParent: p1.hash });
    expect(tree.head.hash).toBe(genesis.tipHash);
    // P1 connects, then B1, B2 and A1 from the orphan pool.
    expect(expectHead(tree.add(p1.block)).hash).toBe(p1.hash);
    expect(tree.head.hash).toBe(b2.hash);
    expect(tree.state).toStrictEqual(b2.state);
    for (const m of [p1, a1, b1, b2]) expect(tree.has(m.hash)).toBe(true);
  });

  it('only signed blocks may wait, and a full pool drops its oldest orphan', () => {
    const tree = new BlockTree(genesis, { maxOrphans: 2 });
    const unsigned = { ...b2.block, signature: '0'.repeat(128) };
    expect(tree.add(unsigned)).toMatchObject({ status: 'invalid', error: { code: 'signature' } });
    expect(tree.add(b2.block).status).toBe('orphan');
    expect(tree.add(b1.block).status).toBe('orphan');
    expect(tree.add(a2.block).status).toBe('orphan'); // pool full: b2, the oldest, is dropped
    expect(tree.add(p1.block).status).toBe('head');
    expect(tree.has(b1.hash)).toBe(true);
    expect(tree.has(b2.hash)).toBe(false);
    expect(tree.add(a1.block).status).toBe('head'); // a1 brings its waiting child a2 along
    expect(tree.head.hash).toBe(a2.hash);
  });

  it('any arrival order of the same blocks ends on the same head and state', () => {
    const blocks = [p1, a1, a2, b1, b2];
    fc.assert(
      fc.property(fc.shuffledSubarray(blocks, { minLength: 5, maxLength: 5 }), (order) => {
        const tree = new BlockTree(genesis);
        for (const m of order) expect(tree.add(m.block).status).not.toBe('invalid');
        expect(tree.head.hash).toBe(a2.hash);
        expect(tree.state).toStrictEqual(a2.state);
      }),
      { numRuns: 12, seed: 42 },
    );
  });
});

describe('invalid blocks', () => {
  let bad: Block;
  let badHash: Hash;
  let child: Block;
  beforeAll(() => {
    // B1 with a coinbase that pays the generator one unit too much: well-formed and signed.
    bad = reseal(b1.block, genesis.networkId, (b) => {
      const coinbase = b.transactions[0];
      if (coinbase?.type !== 'coinbase') throw new Error('no coinbase');
      (coinbase.outputs[0] as { amount: number }).amount += 1;
    });
    badHash = blockHash(bad.header);
    child = reseal(b2.block, genesis.networkId, (b) => {
      b.header.prevHash = badHash;
    });
  });

  it('are reported with their error, and so are their descendants', () => {
    const tree = new BlockTree(genesis);
    tree.add(p1.block);
    const result = tree.add(bad);
    expect(result.status).toBe('invalid');
    if (result.status === 'invalid') {
      expect(result.hash).toBe(badHash);
      expect(result.error.code).toBe('coinbase');
    }
    expect(tree.add(bad).status).toBe('invalid');
    const descendant = tree.add(child);
    expect(descendant).toMatchObject({
      status: 'invalid',
      hash: blockHash(child.header),
      error: { code: 'prev-hash' },
    });
    // The grandchild of an invalid block is refused as well.
    const grandchild = reseal(b2.block, genesis.networkId, (b) => {
      b.header.prevHash = blockHash(child.header);
      b.header.height = 4;
    });
    expect(tree.add(grandchild).status).toBe('invalid');
    expect(tree.head.hash).toBe(p1.hash);
    expect(tree.has(badHash)).toBe(false);
    // The honest B1 is a different block and still connects.
    expect(tree.add(b1.block).status).toBe('head');
  });

  it('a descendant that waited as an orphan is refused once its parent proves invalid', () => {
    const tree = new BlockTree(genesis);
    tree.add(p1.block);
    expect(tree.add(child).status).toBe('orphan');
    expect(tree.add(bad).status).toBe('invalid');
    expect(tree.has(blockHash(child.header))).toBe(false);
    expect(tree.add(child).status).toBe('invalid');
    expect(tree.head.hash).toBe(p1.hash);
    expect(tree.state).toStrictEqual(p1.state);
  });

  it('malformed input is a schema error and never throws', () => {
    const tree = new BlockTree(genesis);
    for (const input of [null, 'x', {}, { ...p1.block, extra: 1 }]) {
      expect(tree.add(input)).toMatchObject({
        status: 'invalid',
        hash: null,
        error: { code: 'schema' },
      });
    }
    expect(tree.head.hash).toBe(genesis.tipHash);
  });

  it('a block from the future is refused now but accepted once the clock reaches it', () => {
    const tree = new BlockTree(genesis);
    const { timestamp } = p1.block.header;
    const drift = genesis.params.time.maxFutureDriftMs;
    expect(tree.add(p1.block, { now: timestamp - drift - 1 })).toMatchObject({
      status: 'invalid',
      error: { code: 'timestamp-future' },
    });
    // Not remembered as invalid: the local clock, not the block, was the problem.
    expect(expectHead(tree.add(p1.block, { now: timestamp - drift })).hash).toBe(p1.hash);
    // The same holds for a child that waited as an orphan.
    const fresh = new BlockTree(genesis);
    expect(fresh.add(a1.block).status).toBe('orphan');
    expect(fresh.add(p1.block, { now: a1.block.header.timestamp - drift - 1 }).status).toBe('head');
    expect(fresh.head.hash).toBe(p1.hash);
    expect(expectHead(fresh.add(a1.block, { now: a1.block.header.timestamp })).hash).toBe(a1.hash);
  });
});

describe('duplicates', () => {
  it('a block seen before is a duplicate, genesis included', () => {
    const tree = new BlockTree(genesis);
    expect(tree.add(genesisBlock(genesis.params))).toEqual({
      status: 'duplicate',
      hash: genesis.tipHash,
    });
    tree.add(p1.block);
    tree.add(a1.block);
    tree.add(b1.block);
    for (const m of [p1, a1, b1]) {
      expect(tree.add(structuredClone(m.block))).toEqual({ status: 'duplicate', hash: m.hash });
    }
    expect(tree.head.hash).toBe(a1.hash);
  });

  it('refuses to start from anything but a genesis state', () => {
    expect(() => new BlockTree(p1.state)).toThrow(/genesis/);
  });
});
