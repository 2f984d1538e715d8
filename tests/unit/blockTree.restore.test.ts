/**
 * BlockTree.restore: a tree rebuilt from a stored snapshot plus the blocks after it must reach
 * the same head and state as one that replayed from genesis, follow forks and reorgs above the
 * snapshot, say clearly what it does not know (heights below its base) and refuse snapshots
 * and block lists that do not fit.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree, type TrustedSnapshot } from '../../src/core/blockTree';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import type { Block, ChainState } from '../../src/core/schemas';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
const keys = devKeys(3, 'restore');
let genesis: ChainState;
let first: DevChain; // heights 1-20: the snapshot is after height 20
let rest: DevChain; // heights 21-26
let a: DevChain; // heights 21-23 on the snapshot (label a)
let b: DevChain; // heights 21-25 on the snapshot (label b): heavier than a
let aMore: DevChain; // heights 24-26 on a: a + aMore is heavier than b
let snap: TrustedSnapshot;
let now: number;

beforeAll(() => {
  genesis = genesisState(params);
  first = buildDevChain(params, { length: 20, keys });
  rest = buildDevChain(params, { length: 6, keys, start: first.state });
  a = buildDevChain(params, { length: 3, keys, start: first.state, label: 'a' });
  b = buildDevChain(params, { length: 5, keys, start: first.state, label: 'b' });
  aMore = buildDevChain(params, { length: 3, keys, start: a.state, label: 'a' });
  snap = { hash: first.hashes[19] as string, block: first.blocks[19] as Block, state: first.state };
  now = Math.max(rest.lastTimestamp, b.lastTimestamp, aMore.lastTimestamp);
});

function fullTree(...chains: DevChain[]): BlockTree {
  const tree = new BlockTree(genesis);
  for (const chain of chains) for (const block of chain.blocks) tree.add(block, { now });
  return tree;
}

describe('BlockTree.restore', () => {
  it('reaches the head and state of a tree that replayed from genesis', () => {
    const full = fullTree(first, rest);
    const restored = BlockTree.restore(genesis, snap, rest.blocks, { now });
    expect(restored.head).toEqual(full.head);
    expect(restored.state).toStrictEqual(full.state);
    expect(restored.state).toStrictEqual(rest.state);
    expect(restored.base).toEqual({ hash: snap.hash, height: 20 });
    expect(full.base).toEqual({ hash: genesis.tipHash, height: 0 });
  });

  it('knows genesis, the snapshot block and what follows, and nothing in between', () => {
    const restored = BlockTree.restore(genesis, snap, rest.blocks, { now });
    expect(restored.hashAtHeight(0)).toBe(genesis.tipHash);
    expect(restored.blockAtHeight(0)).toEqual(genesisBlock(params));
    for (const h of [1, 10, 19]) {
      expect(restored.hashAtHeight(h)).toBeUndefined();
      expect(restored.blockAtHeight(h)).toBeUndefined();
      expect(restored.has(first.hashes[h - 1] as string)).toBe(false);
    }
    expect(restored.hashAtHeight(20)).toBe(snap.hash);
    expect(restored.getBlock(snap.hash)).toEqual(snap.block);
    for (let h = 21; h <= 26; h++) {
      expect(restored.hashAtHeight(h)).toBe(rest.hashes[h - 21]);
      expect(restored.blockAtHeight(h)).toEqual(rest.blocks[h - 21]);
    }
    expect(restored.hashAtHeight(27)).toBeUndefined();
    expect(restored.mainChain()).toEqual([snap.block, ...rest.blocks]);
    expect(restored.has(genesis.tipHash)).toBe(true);
  });

  it('keeps extending with the normal rules', () => {
    const restored = BlockTree.restore(genesis, snap, rest.blocks.slice(0, 3), { now });
    for (const block of rest.blocks.slice(3))
      expect(restored.add(block, { now }).status).toBe('head');
    expect(restored.state).toStrictEqual(rest.state);
    expect(restored.add(rest.blocks[4] as Block, { now }).status).toBe('duplicate');
  });

  it('follows reorgs whose common ancestor is the snapshot, both ways', () => {
    const restored = BlockTree.restore(genesis, snap, [], { now });
    expect(restored.head).toEqual({
      hash: snap.hash,
      height: 20,
      cumulativeWork: first.state.cumulativeWork,
    });
    for (const block of a.blocks) expect(restored.add(block, { now }).status).toBe('head');
    const results = b.blocks.map((block) => restored.add(block, { now }));
    const reorg = results.find((r) => r.status === 'head' && r.reorg);
    expect(reorg).toMatchObject({
      reorg: { commonAncestor: snap.hash, abandoned: [...a.hashes].reverse() },
    });
    expect(restored.head.hash).toBe(b.hashes[4]);
    expect(restored.state).toStrictEqual(b.state);
    // Back to a (now longer and heavier): its states are replayed from the snapshot state.
    for (const block of aMore.blocks) restored.add(block, { now });
    expect(restored.head.hash).toBe(aMore.hashes[2]);
    expect(restored.state).toStrictEqual(aMore.state);
    for (let h = 21; h <= 23; h++) expect(restored.hashAtHeight(h)).toBe(a.hashes[h - 21]);
    for (let h = 24; h <= 26; h++) expect(restored.hashAtHeight(h)).toBe(aMore.hashes[h - 24]);
  });

  it('a block below the base waits as an orphan, or connects to genesis as a side block', () => {
    const restored = BlockTree.restore(genesis, snap, [], { now });
    expect(restored.add(first.blocks[5] as Block, { now }).status).toBe('orphan');
    // Height 1's parent is genesis, which the tree holds: valid, but far lighter than the head.
    expect(restored.add(first.blocks[0] as Block, { now }).status).toBe('side');
    expect(restored.head.hash).toBe(snap.hash);
  });

  it('a heavier branch from genesis reorgs with genesis as the deepest known common block', () => {
    const restored = BlockTree.restore(genesis, snap, [], { now });
    const other = buildDevChain(params, { length: 21, keys, label: 'other' });
    const later = { now: Math.max(now, other.lastTimestamp) };
    const results = other.blocks.map((block) => restored.add(block, later));
    expect(results.slice(0, 20).every((r) => r.status === 'side')).toBe(true);
    expect(results[20]).toMatchObject({
      status: 'head',
      reorg: { commonAncestor: genesis.tipHash, abandoned: [snap.hash] },
    });
    expect(restored.state).toStrictEqual(other.state);
    expect(restored.hashAtHeight(1)).toBe(other.hashes[0]);
    expect(restored.base).toEqual({ hash: genesis.tipHash, height: 0 });
    expect(restored.mainChain()).toHaveLength(22);
  });

  it('from a genesis snapshot is the same as a fresh tree', () => {
    const block = genesisBlock(params);
    const restored = BlockTree.restore(
      genesis,
      { hash: genesis.tipHash, block, state: genesis },
      first.blocks,
      { now },
    );
    expect(restored.state).toStrictEqual(first.state);
    expect(restored.base.height).toBe(0);
    expect(restored.mainChain()).toHaveLength(21);
  });

  it('refuses a snapshot that does not fit, and blocks that do not extend the head', () => {
    const otherGenesis = genesisState(testParams({ name: 'doin-other' }));
    expect(() => BlockTree.restore(otherGenesis, snap, [])).toThrow(/another network/);
    expect(() =>
      BlockTree.restore(genesis, { ...snap, hash: rest.hashes[0] as string }, []),
    ).toThrow(/do not match/);
    expect(() =>
      BlockTree.restore(genesis, { ...snap, block: first.blocks[18] as Block }, []),
    ).toThrow(/do not match/);
    // A gap (height 22 missing) and a block from a fork that is not heavier.
    expect(() =>
      BlockTree.restore(genesis, snap, [rest.blocks[0] as Block, rest.blocks[2] as Block], { now }),
    ).toThrow(/height 23 did not extend the head \(orphan\)/);
    expect(() =>
      BlockTree.restore(genesis, snap, [...b.blocks, a.blocks[0] as Block], { now }),
    ).toThrow(/did not extend the head \(side\)/);
  });
});
