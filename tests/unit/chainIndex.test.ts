/**
 * The explorer's chain index (src/node/chainIndex.ts): block summaries, account histories and
 * each domain's best metric over blocks, derived from the main chain. It must agree with the
 * states the real rules produce, follow reorgs, and never trust heights it cannot check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildBlock } from '../../src/core/builder';
import { applyBlock } from '../../src/core/chain';
import { buildDevChain } from '../../src/core/devChain';
import { genesisState } from '../../src/core/genesis';
import { signTransfer } from '../../src/core/objects';
import type { Block, ChainState } from '../../src/core/schemas';
import { createChainIndex, type MainChainReader } from '../../src/node/chainIndex';
import { craftOptimae, extend, key, type Made, NAMES } from '../support/blocks';
import { testParams } from '../support/fixtures';

const params = testParams();
const target = params.targetBlockTimeMs;
const domainId = params.domains[0]?.id as string;
let genesis: ChainState;
/** Main line: 4 blocks, the third with a transfer ada → cyd. */
let main: Made[];
/** A heavier fork from height 1 (dev blocks keep the threshold at its schedule). */
let fork: Made[];

function withTransfer(parent: Made, label: string): Made {
  const state = parent.state;
  const best = state.domains[domainId]?.bestMetric as number;
  const optimae = craftOptimae(state, { label, optimizer: key('bob'), measured: best * 0.5 });
  const tx = signTransfer(
    {
      type: 'transfer',
      from: key('ada').publicKey,
      to: key('cyd').publicKey,
      amount: 1_000,
      fee: 10,
      nonce: 0,
      memo: 'thanks',
    },
    key('ada'),
    state.networkId,
  );
  // Late enough for the threshold to have decayed below what a halving of the metric earns.
  const timestamp = (state.recentBlocks.at(-1)?.timestamp ?? 0) + 6 * target;
  const built = buildBlock({
    state,
    generator: key('dee'),
    timestamp,
    optimae: [optimae],
    transfers: [tx],
  });
  if (!built.ok) throw new Error(built.reason);
  const applied = applyBlock(state, built.block);
  if (!applied.ok) throw new Error(applied.error.message);
  return { block: built.block, hash: built.hash, state: applied.state };
}

beforeAll(() => {
  genesis = genesisState(params);
  const m1 = extend({ state: genesis }, 'm1', 'ada', 'ada', target);
  const m2 = extend(m1, 'm2', 'cyd', 'ada', target);
  const m3 = withTransfer(m2, 'm3');
  const m4 = extend(m3, 'm4', 'ada', 'bob', target, 0.9);
  main = [m1, m2, m3, m4];
  const forked = buildDevChain(params, {
    length: 5,
    keys: NAMES.map(key),
    start: m1.state,
    label: 'fork',
  });
  fork = forked.blocks.map((block, i) => ({
    block,
    hash: forked.hashes[i] as string,
    state: i === forked.blocks.length - 1 ? forked.state : genesis, // only the last is used
  }));
});

const treeReader = (tree: BlockTree): MainChainReader => ({
  headHeight: () => tree.head.height,
  hashAt: (height) => tree.hashAtHeight(height),
  read: async (from, count) => {
    const out: Block[] = [];
    for (let h = from; h < from + count && tree.blockAtHeight(h); h++) {
      out.push(tree.blockAtHeight(h) as Block);
    }
    return out;
  },
});

function treeWith(blocks: readonly Made[]): BlockTree {
  const tree = new BlockTree(genesis);
  for (const made of blocks) tree.add(made.block, { now: made.block.header.timestamp + 1 });
  return tree;
}

/** Every account's history must add up to its balance (all balances start at zero). */
function expectHistoriesMatchBalances(
  index: ReturnType<typeof createChainIndex>,
  state: ChainState,
) {
  for (const [id, account] of Object.entries(state.accounts)) {
    const sum = index.history(id).reduce((total, entry) => total + entry.amount, 0);
    expect(sum, id).toBe(account.balance);
  }
}

describe('chain index', () => {
  it('summarizes the main chain newest first, with links by hash', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await index.update();
    const rows = index.summaries(Number.MAX_SAFE_INTEGER, 10);
    expect(rows.map((r) => r.height)).toEqual([4, 3, 2, 1, 0]);
    expect(rows.map((r) => r.hash)).toEqual(
      [...main.map((m) => m.hash)].reverse().concat(genesis.tipHash),
    );
    expect(rows[1]).toMatchObject({ transfers: 1, optimae: 1, generator: key('dee').publicKey });
    expect(index.summaries(3, 2).map((r) => r.height)).toEqual([2, 1]);
    expect(index.heightOf(main[2]?.hash as string)).toBe(3);
  });

  it('reports each domain best after the blocks that changed it, as the rules computed', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await index.update();
    const points = index.metricHistory().filter((p) => p.domainId === domainId);
    const expected = [
      { height: 0, metric: genesis.domains[domainId]?.bestMetric },
      ...main.map((m, i) => ({ height: i + 1, metric: m.state.domains[domainId]?.bestMetric })),
    ];
    expect(points.map(({ height, metric }) => ({ height, metric }))).toEqual(expected);
  });

  it('gives verdicts and verified metrics equal to applyBlock assessments', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await index.update();
    const { optimaeViews } = await import('../../src/node/chainIndex');
    for (const [i, made] of main.entries()) {
      const before = i === 0 ? genesis : (main[i - 1]?.state as ChainState);
      const applied = applyBlock(before, made.block);
      if (!applied.ok) throw new Error(applied.error.message);
      const views = optimaeViews(made.block, params, index.bestBefore(i + 1) ?? {});
      expect(views.map((v) => [v.commitId, v.verdict, v.verifiedMetric])).toEqual(
        applied.assessments.map((a) => [a.commitId, a.verdict, a.verifiedMetric]),
      );
    }
  });

  it('keeps account histories that add up to the balances, transfers and fees included', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await index.update();
    const state = main.at(-1)?.state as ChainState;
    expectHistoriesMatchBalances(index, state);
    const ada = index.history(key('ada').publicKey);
    expect(ada[0]?.height).toBeGreaterThanOrEqual(ada.at(-1)?.height ?? 0); // newest first
    expect(ada.find((e) => e.kind === 'sent')).toMatchObject({
      amount: -1_010,
      counterparty: key('cyd').publicKey,
      height: 3,
    });
    expect(index.history(key('cyd').publicKey).find((e) => e.kind === 'received')).toMatchObject({
      amount: 1_000,
    });
  });

  it('follows a reorg: blocks above the fork point are replaced, histories recomputed', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await index.update();
    for (const made of fork) tree.add(made.block, { now: made.block.header.timestamp + 1 });
    expect(tree.head.hash).toBe(fork.at(-1)?.hash); // the fork is heavier
    await index.update();
    const rows = index.summaries(Number.MAX_SAFE_INTEGER, 10);
    expect(rows.map((r) => r.hash)).toEqual([
      ...[...fork].reverse().map((m) => m.hash),
      main[0]?.hash,
      genesis.tipHash,
    ]);
    expect(index.heightOf(main[2]?.hash as string)).toBeUndefined();
    expectHistoriesMatchBalances(index, fork.at(-1)?.state as ChainState);
    // Verdict tallies follow the reorg too: one optimae per block, all accepted.
    const tallied = NAMES.map((name) => index.verdictsOf(key(name).publicKey));
    expect(tallied.reduce((sum, t) => sum + t.accepted, 0)).toBe(1 + fork.length);
    expect(tallied.every((t) => t['false-claim'] === 0 && t.stale === 0)).toBe(true);
    const onChain = new Set([main[0]?.hash, ...fork.map((m) => m.hash)]);
    for (const name of NAMES) {
      for (const entry of index.history(key(name).publicKey)) {
        expect(onChain.has(entry.blockHash), `${name} at ${entry.height}`).toBe(true);
      }
    }
    expect(index.history(key('cyd').publicKey).some((e) => e.kind === 'received')).toBe(false);
  });

  it('trusts heights the reader cannot check (below a restored base) and indexes what it reads', async () => {
    const tree = treeWith(main);
    const reader = treeReader(tree);
    const index = createChainIndex(
      { ...reader, hashAt: (h) => (h >= 1 && h < 3 ? undefined : reader.hashAt(h)) },
      params,
    );
    await index.update();
    expect(index.summaries(Number.MAX_SAFE_INTEGER, 10)).toHaveLength(5);
    expect(index.summaryAt(2)?.hash).toBe(main[1]?.hash); // hashed from the block itself
  });

  it('shares one run between concurrent updates and is idempotent', async () => {
    const tree = treeWith(main);
    const index = createChainIndex(treeReader(tree), params);
    await Promise.all([index.update(), index.update(), index.update()]);
    await index.update();
    expect(index.summaries(Number.MAX_SAFE_INTEGER, 100)).toHaveLength(5);
    expectHistoriesMatchBalances(index, main.at(-1)?.state as ChainState);
  });
});
