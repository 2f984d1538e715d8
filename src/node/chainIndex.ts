/**
 * What the explorer, the chart and the wallet read: block summaries, account histories and each
 * domain's best metric over blocks, derived from the main chain as this node stores it (so it
 * works offline). Built incrementally: a head change indexes only the new blocks, and a reorg
 * drops the indexed blocks above the fork before indexing the new branch.
 *
 * Verdicts are recomputed from the block alone with the core's own rules (median of the votes,
 * judged against the running best); the block was fully validated when it was added, so quorum
 * membership needs no second look.
 */
import type { Hash } from '../core/hash';
import { blockHash, commitId as computeCommitId } from '../core/objects';
import { domainById, judgeOptimae, type Verdict } from '../core/poo';
import { assessVotes } from '../core/quorum';
import type { Block, NetworkParams, Transfer } from '../core/schemas';
import type { AccountEntry, BlockDetail, BlockSummary, MetricPoint, OptimaeView } from './api';

/** The main chain as this node has it: hashes by height and blocks read in ranges. */
export interface MainChainReader {
  headHeight(): number;
  /** The main-chain hash at `height`, or undefined where the reader cannot tell cheaply. */
  hashAt(height: number): Hash | undefined;
  /** Main-chain blocks from `from`, at most `count`, in height order. */
  read(from: number, count: number): Promise<Block[]>;
}

interface IndexedBlock {
  readonly summary: BlockSummary;
  /** Each domain's best metric after this block. */
  readonly bestAfter: Readonly<Record<string, number>>;
  /** Who optimized this block's optimae, and the verdicts. */
  readonly verdicts: readonly (readonly [string, Verdict])[];
}

/** An optimizer's optimae on the main chain, by verdict. */
export type VerdictCounts = Record<Verdict, number>;

const READ_BATCH = 256;

export interface ChainIndex {
  /** Brings the index up to the reader's head (concurrent calls share one run). */
  update(): Promise<void>;
  summaries(before: number, limit: number): BlockSummary[];
  summaryAt(height: number): BlockSummary | undefined;
  heightOf(hash: string): number | undefined;
  /** Each domain's best metric before the block at `height` (what its optimae were judged on). */
  bestBefore(height: number): Readonly<Record<string, number>> | undefined;
  history(account: string): AccountEntry[];
  /** How many of this account's optimae the main chain holds, by verdict. */
  verdictsOf(account: string): VerdictCounts;
  metricHistory(): MetricPoint[];
}

export function createChainIndex(reader: MainChainReader, params: NetworkParams): ChainIndex {
  const genesisBest: Record<string, number> = Object.fromEntries(
    params.domains.map((d) => [d.id, d.initialBest]),
  );
  /** Index 0 is genesis; blocks[h] is the main-chain block at height h. */
  const blocks: IndexedBlock[] = [];
  const heights = new Map<string, number>();
  const accounts = new Map<string, AccountEntry[]>();
  const tallies = new Map<string, VerdictCounts>();
  const tally = (optimizer: string, verdict: Verdict, delta: number) => {
    const counts = tallies.get(optimizer) ?? { accepted: 0, 'false-claim': 0, stale: 0 };
    counts[verdict] += delta;
    tallies.set(optimizer, counts);
  };
  let running: Promise<void> | null = null;

  const truncate = (height: number) => {
    for (const gone of blocks.splice(height + 1)) {
      heights.delete(gone.summary.hash);
      for (const [optimizer, verdict] of gone.verdicts) tally(optimizer, verdict, -1);
    }
    for (const [id, list] of accounts) {
      const kept = list.filter((entry) => entry.height <= height);
      if (kept.length) accounts.set(id, kept);
      else accounts.delete(id);
    }
  };

  /** The highest indexed height that is still on the reader's main chain. */
  const commonHeight = (): number => {
    for (let h = Math.min(blocks.length - 1, reader.headHeight()); h >= 0; h--) {
      const hash = reader.hashAt(h);
      // Heights the reader cannot tell (below a restored tree's base) are final.
      if (hash === undefined || hash === blocks[h]?.summary.hash) return h;
    }
    return -1;
  };

  const addEntry = (id: string, entry: AccountEntry) => {
    const list = accounts.get(id);
    if (list) list.push(entry);
    else accounts.set(id, [entry]);
  };

  const index = (block: Block, hash: Hash) => {
    const { header } = block;
    const previous = blocks[header.height - 1]?.bestAfter ?? genesisBest;
    const best = { ...previous };
    const verdicts: (readonly [string, Verdict])[] = [];
    for (const view of optimaeViews(block, params, best)) {
      if (view.verdict === 'accepted') best[view.domainId] = view.verifiedMetric;
      verdicts.push([view.optimizer, view.verdict]);
      tally(view.optimizer, view.verdict, 1);
    }
    const summary = summarize(block, hash);
    blocks[header.height] = { summary, bestAfter: best, verdicts };
    heights.set(hash, header.height);
    const at = { height: header.height, blockHash: hash, timestamp: header.timestamp };
    const [coinbase, ...rest] = block.transactions;
    if (coinbase?.type === 'coinbase') {
      for (const out of coinbase.outputs) {
        addEntry(out.to, { ...at, kind: 'reward', amount: out.amount, counterparty: null });
      }
    }
    for (const tx of rest) {
      if (tx.type !== 'transfer') continue;
      addEntry(tx.from, {
        ...at,
        kind: 'sent',
        amount: -(tx.amount + tx.fee),
        counterparty: tx.to,
      });
      addEntry(tx.to, { ...at, kind: 'received', amount: tx.amount, counterparty: tx.from });
      if (tx.fee > 0) {
        addEntry(header.generator, {
          ...at,
          kind: 'reward',
          amount: tx.fee,
          counterparty: tx.from,
        });
      }
    }
  };

  const run = async () => {
    if (blocks.length === 0) {
      const genesisHash = reader.hashAt(0);
      if (genesisHash === undefined) throw new Error('the chain has no genesis');
      blocks[0] = {
        summary: {
          height: 0,
          hash: genesisHash,
          timestamp: params.genesisTimestamp,
          generator: '',
          optimae: 0,
          transfers: 0,
          incrementSum: 0,
          threshold: 0,
        },
        bestAfter: genesisBest,
        verdicts: [],
      };
      heights.set(genesisHash, 0);
    }
    truncate(Math.max(0, commonHeight()));
    for (;;) {
      const head = reader.headHeight();
      const from = blocks.length;
      if (from > head) return;
      const batch = await reader.read(from, Math.min(READ_BATCH, head - from + 1));
      if (batch.length === 0) return;
      // The head may have moved while reading: keep only blocks that extend what is indexed.
      for (const block of batch) {
        if (block.header.height !== blocks.length) break;
        if (block.header.prevHash !== blocks[blocks.length - 1]?.summary.hash) {
          truncate(Math.max(0, commonHeight()));
          break;
        }
        const hash = reader.hashAt(block.header.height) ?? blockHash(block.header);
        index(block, hash);
      }
    }
  };

  return {
    update() {
      running ??= run().finally(() => {
        running = null;
      });
      return running;
    },
    summaries(before, limit) {
      const out: BlockSummary[] = [];
      for (let h = Math.min(before, blocks.length) - 1; h >= 0 && out.length < limit; h--) {
        const entry = blocks[h];
        if (entry) out.push({ ...entry.summary });
      }
      return out;
    },
    summaryAt: (height) => {
      const entry = blocks[height];
      return entry ? { ...entry.summary } : undefined;
    },
    heightOf: (hash) => heights.get(hash),
    bestBefore: (height) => (height >= 1 ? blocks[height - 1]?.bestAfter : undefined),
    history: (account) => [...(accounts.get(account) ?? [])].reverse(),
    verdictsOf: (account) => ({
      ...(tallies.get(account) ?? { accepted: 0, 'false-claim': 0, stale: 0 }),
    }),
    metricHistory() {
      const points: MetricPoint[] = [];
      for (const domain of params.domains) {
        let last: number | undefined;
        for (const entry of blocks) {
          const metric = entry.bestAfter[domain.id];
          if (metric === undefined || metric === last) continue;
          last = metric;
          const { height, timestamp } = entry.summary;
          points.push({ domainId: domain.id, height, timestamp, metric });
        }
      }
      return points;
    },
  };
}

/** A block's summary row. */
export function summarize(block: Block, hash: Hash): BlockSummary {
  const { header } = block;
  return {
    height: header.height,
    hash,
    timestamp: header.timestamp,
    generator: header.generator,
    optimae: block.optimae.length,
    transfers: block.transactions.filter((tx) => tx.type === 'transfer').length,
    incrementSum: header.incrementSum,
    threshold: header.threshold,
  };
}

/**
 * The block's optimae with their verdicts, judged in block order against `best` (each domain's
 * best before the block), as applyBlock judged them.
 */
export function optimaeViews(
  block: Block,
  params: NetworkParams,
  best: Readonly<Record<string, number>>,
): OptimaeView[] {
  const running = { ...best };
  const views: OptimaeView[] = [];
  for (const optimae of block.optimae) {
    const { commit, reveal, votes } = optimae;
    const domain = domainById(params, commit.domainId);
    if (!domain) continue; // cannot happen in a valid block
    const id = computeCommitId(commit);
    const agreement = assessVotes(
      votes,
      { mode: 'open', maxVotes: votes.length },
      domain.tolerance,
    );
    const judged = judgeOptimae(
      {
        commitId: id,
        domain,
        optimizer: commit.optimizer,
        paramsHash: reveal.paramsHash,
        claimedMetric: commit.claimedMetric,
        agreement,
        quorumMode: 'open',
      },
      running[domain.id] ?? domain.initialBest,
      0,
      params,
    );
    if (judged.verdict === 'accepted') running[domain.id] = judged.verifiedMetric;
    views.push({
      commitId: id,
      domainId: domain.id,
      optimizer: commit.optimizer,
      paramsHash: reveal.paramsHash,
      claimedMetric: commit.claimedMetric,
      verifiedMetric: judged.verifiedMetric,
      verdict: judged.verdict,
      votes: votes.map((vote) => ({ evaluator: vote.evaluator, metric: vote.metric })),
    });
  }
  return views;
}

/** Everything the explorer shows about one block. */
export function blockDetail(
  block: Block,
  hash: Hash,
  params: NetworkParams,
  bestBefore: Readonly<Record<string, number>>,
): BlockDetail {
  const [coinbase, ...rest] = block.transactions;
  return {
    ...summarize(block, hash),
    prevHash: block.header.prevHash,
    optimaeList: optimaeViews(block, params, bestBefore),
    transferList: rest
      .filter((tx): tx is Transfer => tx.type === 'transfer')
      .map(({ from, to, amount, fee, nonce, memo }) => ({ from, to, amount, fee, nonce, memo })),
    rewards: coinbase?.type === 'coinbase' ? coinbase.outputs.map((o) => ({ ...o })) : [],
  };
}
