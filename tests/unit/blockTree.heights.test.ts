/**
 * BlockTree's main-chain height index (hashAtHeight / blockAtHeight), which sync servers read:
 * it must follow the head through extensions, reorgs both ways and orphans connecting late, and
 * always agree with mainChain().
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import { blockHash } from '../../src/core/objects';
import type { Block, ChainState } from '../../src/core/schemas';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
const keys = devKeys(3, 'heights');
let genesis: ChainState;
let base: DevChain; // heights 1-3
let a: DevChain; // heights 4-6 on base (label a)
let aMore: DevChain; // heights 7-9 on a
let b: DevChain; // heights 4-8 on base (label b): heavier than a, lighter than a + aMore
let now: number;

beforeAll(() => {
  genesis = genesisState(params);
  base = buildDevChain(params, { length: 3, keys });
  a = buildDevChain(params, { length: 3, keys, start: base.state, label: 'a' });
  aMore = buildDevChain(params, { length: 3, keys, start: a.state, label: 'a' });
  b = buildDevChain(params, { length: 5, keys, start: base.state, label: 'b' });
  now = Math.max(aMore.lastTimestamp, b.lastTimestamp);
});

/** The index must agree with mainChain() at every height, and end at the head. */
function expectIndexMatchesMainChain(tree: BlockTree): void {
  const main = tree.mainChain();
  expect(main).toHaveLength(tree.head.height + 1);
  for (const [height, block] of main.entries()) {
    expect(tree.blockAtHeight(height)).toBe(block);
    expect(tree.hashAtHeight(height)).toBe(blockHash(block.header));
  }
  expect(tree.hashAtHeight(tree.head.height)).toBe(tree.head.hash);
  expect(tree.blockAtHeight(tree.head.height + 1)).toBeUndefined();
}

function addAll(tree: BlockTree, blocks: readonly Block[]): void {
  for (const block of blocks) {
    const result = tree.add(block, { now });
    expect(['head', 'side']).toContain(result.status);
  }
}

describe('BlockTree height index', () => {
  it('starts with genesis at height 0 and nothing above', () => {
    const tree = new BlockTree(genesis);
    expect(tree.blockAtHeight(0)).toEqual(genesisBlock(params));
    expect(tree.hashAtHeight(0)).toBe(genesis.tipHash);
    expect(tree.blockAtHeight(1)).toBeUndefined();
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(tree.blockAtHeight(bad)).toBeUndefined();
      expect(tree.hashAtHeight(bad)).toBeUndefined();
    }
  });

  it('follows the head as it extends', () => {
    const tree = new BlockTree(genesis);
    for (const [i, block] of base.blocks.entries()) {
      tree.add(block, { now });
      expect(tree.blockAtHeight(i + 1)).toEqual(block); // the parsed copy the tree keeps
      expect(tree.hashAtHeight(i + 1)).toBe(base.hashes[i]);
    }
    expectIndexMatchesMainChain(tree);
  });

  it('is rewritten by a reorg and by the reorg back, and ignores side blocks', () => {
    const tree = new BlockTree(genesis);
    addAll(tree, [...base.blocks, ...a.blocks]);
    expect(tree.hashAtHeight(6)).toBe(a.hashes[2]);

    // b's first two blocks are lighter (same thresholds, one block fewer): side blocks leave
    // the index alone.
    addAll(tree, b.blocks.slice(0, 2));
    expect(tree.head.hash).toBe(a.hashes[2]);
    expect(tree.hashAtHeight(4)).toBe(a.hashes[0]);
    expect(tree.hashAtHeight(5)).toBe(a.hashes[1]);
    expectIndexMatchesMainChain(tree);

    // The rest make b heavier: heights 4-8 now hold b, base below is untouched.
    addAll(tree, b.blocks.slice(2));
    expect(tree.head.hash).toBe(b.hashes[4]);
    for (let h = 1; h <= 3; h++) expect(tree.hashAtHeight(h)).toBe(base.hashes[h - 1]);
    for (let h = 4; h <= 8; h++) expect(tree.hashAtHeight(h)).toBe(b.hashes[h - 4]);
    expectIndexMatchesMainChain(tree);

    // And back to a, which becomes longer than b: heights above a's head are a's too.
    addAll(tree, aMore.blocks);
    expect(tree.head.hash).toBe(aMore.hashes[2]);
    expect(tree.head.height).toBe(9);
    for (let h = 4; h <= 6; h++) expect(tree.hashAtHeight(h)).toBe(a.hashes[h - 4]);
    for (let h = 7; h <= 9; h++) expect(tree.hashAtHeight(h)).toBe(aMore.hashes[h - 7]);
    expect(tree.blockAtHeight(10)).toBeUndefined();
    expectIndexMatchesMainChain(tree);
  });

  it('a reorg to a heavier but shorter chain drops the heights above it', () => {
    // A one-block fork made a day later than its rival's blocks weighs little; the reverse
    // (a short chain of full-weight blocks beating a long chain of light ones) is built here
    // by giving the long branch day-long intervals, so its thresholds have decayed.
    const light = buildDevChain(params, {
      length: 4,
      keys,
      start: base.state,
      label: 'light',
      intervalMs: 86_400_000,
    });
    const heavy = buildDevChain(params, { length: 1, keys, start: base.state, label: 'heavy' });
    expect(heavy.state.cumulativeWork).toBeGreaterThan(light.state.cumulativeWork);
    const tree = new BlockTree(genesis);
    const later = { now: light.lastTimestamp };
    for (const block of [...base.blocks, ...light.blocks]) tree.add(block, later);
    expect(tree.head.height).toBe(7);
    expect(tree.add(heavy.blocks[0], later).status).toBe('head');
    expect(tree.head.height).toBe(4);
    expect(tree.hashAtHeight(4)).toBe(heavy.hashes[0]);
    expect(tree.blockAtHeight(5)).toBeUndefined();
    expectIndexMatchesMainChain(tree);
  });

  it('agrees with mainChain() whatever order the blocks of two forks arrive in', () => {
    const all = [...base.blocks, ...a.blocks, ...aMore.blocks, ...b.blocks];
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length }), (order) => {
        const tree = new BlockTree(genesis);
        for (const block of order) {
          tree.add(block, { now });
          expectIndexMatchesMainChain(tree);
        }
        // Every block arrived: the heaviest line (a + aMore) is the main chain.
        expect(tree.head.hash).toBe(aMore.hashes[2]);
      }),
      { numRuns: 8 },
    );
  });
});
