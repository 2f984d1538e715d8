/**
 * What a contributing page does on the network (issue 6), one role per part:
 * - optimizer: trains the domain from the chain's best parameters in a worker; a candidate that
 *   beats the best is committed (gossip), then revealed, and its blob served;
 * - evaluator: for each revealed commit whose quorum it belongs to (or any, while the quorum is
 *   open), fetches the blob by hash, evaluates it on its own seed in a worker and votes;
 * - block maker: when the verified pool reaches the threshold, builds, signs and gossips a block.
 * Validation of everything received is the gossip validators' and the block tree's job.
 */
import { buildBlock } from '../core/builder';
import { prepareCommit } from '../core/commitReveal';
import type { KeyPair } from '../core/crypto';
import { bytesToHex } from '../core/encoding';
import { type Hash, hashTagged } from '../core/hash';
import { signVote } from '../core/objects';
import { improvement } from '../core/poo';
import { evaluationSeed, quorumOpensAfterMs, selectQuorum, supermajority } from '../core/quorum';
import type { Block, ChainState, Commit, Optimae, Reveal, Transfer, Vote } from '../core/schemas';
import type { ComputeClient } from '../workers/computeClient';

export interface PoolEntry {
  readonly commit: Commit;
  /** When this page first saw the commit (ms). */
  readonly seenAt: number;
  reveal: Reveal | null;
  readonly votes: Map<string, Vote>;
}

export interface RoleCounters {
  proposed: number;
  committed: number;
  votesCast: number;
  blocksMade: number;
  lastError: string | null;
  /** When lastError happened (ms): the node shows it only while it is recent. */
  lastErrorAt: number;
  /** What the optimizer worker is doing, and how far the current candidate is (0-1). */
  activity: 'idle' | 'training';
  progress: number;
}

export interface RolesDeps {
  readonly key: KeyPair;
  /** The domain to train now (the node may move to another between candidates). */
  domainId(): string;
  state(): ChainState;
  now(): number;
  /** Validates locally (so our own objects are known to our validators) and gossips. */
  publish(
    topic: 'commit' | 'reveal' | 'vote' | 'block',
    value: Commit | Reveal | Vote | Block,
  ): Promise<void>;
  /** Adds a block we made to our chain; true when it became part of it. */
  importOwnBlock(block: Block): boolean;
  /** Parameters by hash: ours, or fetched from a peer (the optimizer first). */
  blob(hash: Hash, optimizer: string): Promise<Float32Array | null>;
  storeBlob(hash: Hash, params: Float32Array): void;
  compute(): Promise<{ optimizer: ComputeClient; evaluator: ComputeClient }>;
  readonly stepsPerCandidate: number;
  /** Told when one of our commits went out. */
  onCommitted?(commit: Commit, id: Hash): void;
  /** Told when a pool entry changed (null: it left the pool), e.g. to persist the pool. */
  onPoolChange?(id: Hash, entry: PoolEntry | null): void;
  /** Called before each candidate while no evaluation runs (e.g. to re-choose the domain). */
  beforeCandidate?(): void;
  /** Told when this page voted. */
  onVoted?(vote: Vote, domainId: string): void;
  /** Told when a transfer entered or left the mempool (null), e.g. to persist our own. */
  onMempoolChange?(id: string, transfer: Transfer | null): void;
}

/** Mempool key: a sender's nonce is spent by exactly one transfer. */
export const mempoolId = (tx: Pick<Transfer, 'from' | 'nonce'>): string => `${tx.from}:${tx.nonce}`;

export function createRoles(deps: RolesDeps) {
  const pool = new Map<Hash, PoolEntry>();
  const evaluated = new Set<Hash>();
  const evaluationQueue: Hash[] = [];
  const counters: RoleCounters = {
    proposed: 0,
    committed: 0,
    votesCast: 0,
    blocksMade: 0,
    lastError: null,
    lastErrorAt: 0,
    activity: 'idle',
    progress: 0,
  };
  let running = false;
  let round = 0;
  const noteError = (text: string): void => {
    counters.lastError = text;
    counters.lastErrorAt = deps.now();
  };
  /**
   * Test knob (window.doinDebug.cheat): claim `claimFactor` × the measured metric and do no
   * honest work (no votes, no blocks) — what a dishonest optimizer looks like to the others.
   */
  let cheat: { claimFactor: number } | null = null;
  let evaluating = false;
  let loop: Promise<void> | null = null;

  // ---- pool: what arrived (or we made) and is not on chain yet ----------------------------
  function addCommit(commit: Commit, id: Hash): void {
    if (pool.has(id)) return;
    const entry: PoolEntry = { commit, seenAt: deps.now(), reveal: null, votes: new Map() };
    pool.set(id, entry);
    deps.onPoolChange?.(id, entry);
  }
  function addReveal(reveal: Reveal): void {
    const entry = pool.get(reveal.commitId);
    if (!entry || entry.reveal) return;
    entry.reveal = reveal;
    deps.onPoolChange?.(reveal.commitId, entry);
    if (running && !cheat && entry.commit.optimizer !== deps.key.publicKey) {
      evaluationQueue.push(reveal.commitId);
      void evaluateQueued();
    }
  }
  function addVote(vote: Vote): void {
    const entry = pool.get(vote.commitId);
    if (!entry || entry.votes.has(vote.evaluator)) return;
    entry.votes.set(vote.evaluator, vote);
    deps.onPoolChange?.(vote.commitId, entry);
    scheduleBlock();
  }
  /** Drops what the chain now holds or what can no longer be included. */
  function prune(): void {
    const state = deps.state();
    const bases = new Set(state.recentBlocks.map((b) => b.hash));
    for (const [id, entry] of pool) {
      if (state.recentCommits[id] !== undefined || !bases.has(entry.commit.baseHash)) {
        pool.delete(id);
        blobAttempts.delete(id);
        deps.onPoolChange?.(id, null);
      }
    }
    // A transfer whose nonce the chain has used (it, or another one from the sender) is done.
    for (const [id, tx] of mempool) {
      if ((state.accounts[tx.from]?.nonce ?? 0) > tx.nonce) {
        mempool.delete(id);
        deps.onMempoolChange?.(id, null);
      }
    }
  }

  // ---- mempool: signed transfers waiting for a block -------------------------------------------
  const mempool = new Map<string, Transfer>();
  /** Keeps a (validated, signed) transfer for the next block we make; the first per nonce wins. */
  function addTransfer(tx: Transfer): void {
    const id = mempoolId(tx);
    if (mempool.has(id) || (deps.state().accounts[tx.from]?.nonce ?? 0) > tx.nonce) return;
    if (mempool.size >= MAX_MEMPOOL) return;
    mempool.set(id, tx);
    deps.onMempoolChange?.(id, tx);
  }

  // ---- evaluator ------------------------------------------------------------------------------
  /**
   * Parameters can be out of reach for a moment (the reveal came by gossip through the relay
   * before the direct connection to the optimizer was up): try again a few times, then say so.
   */
  const blobAttempts = new Map<Hash, number>();
  function retryLater(id: Hash): void {
    const attempts = (blobAttempts.get(id) ?? 0) + 1;
    blobAttempts.set(id, attempts);
    const hash = pool.get(id)?.reveal?.paramsHash.slice(0, 12) ?? id.slice(0, 12);
    if (attempts > BLOB_RETRIES) {
      noteError(`evaluation skipped: parameters ${hash}… stayed unreachable`);
      return;
    }
    setTimeout(() => {
      if (!running || !pool.has(id)) return;
      evaluated.delete(id);
      evaluationQueue.push(id);
      void evaluateQueued();
    }, BLOB_RETRY_MS * attempts);
  }

  async function evaluateQueued(): Promise<void> {
    if (evaluating) return;
    evaluating = true;
    try {
      for (let id = evaluationQueue.shift(); id; id = evaluationQueue.shift()) {
        if (!running || evaluated.has(id)) continue;
        evaluated.add(id);
        await evaluate(id).catch((err: unknown) => {
          if (err instanceof BlobUnavailableError) retryLater(id);
          else noteError(`evaluation failed: ${message(err)}`);
        });
      }
    } finally {
      evaluating = false;
    }
  }
  async function evaluate(id: Hash): Promise<void> {
    const entry = pool.get(id);
    if (!entry?.reveal) return;
    const { commit, reveal } = entry;
    // The workers compute one domain; commits of other domains are for pages working on those.
    if (commit.domainId !== deps.domainId()) return;
    const state = deps.state();
    const base = state.recentBlocks.find((b) => b.hash === commit.baseHash);
    if (!base) return;
    const quorum = selectQuorum(base, id, commit.optimizer, state.params, stalledMs(state));
    if (quorum.mode === 'selected' && !quorum.members.includes(deps.key.publicKey)) {
      evaluated.delete(id); // not ours to judge now; if the chain stalls, it may become ours
      return;
    }
    const params = await deps.blob(reveal.paramsHash, commit.optimizer);
    if (!params) throw new BlobUnavailableError(reveal.paramsHash);
    const { evaluator } = await deps.compute();
    const result = await evaluator.evaluate(
      params.slice(),
      evaluationSeed(id, deps.key.publicKey, commit.baseHash),
      { paramsHash: reveal.paramsHash },
    );
    const vote = signVote(
      {
        commitId: id,
        paramsHash: reveal.paramsHash,
        evaluator: deps.key.publicKey,
        metric: result.metric,
      },
      deps.key,
      state.networkId,
    );
    await deps.publish('vote', vote);
    counters.votesCast++;
    deps.onVoted?.(vote, entry.commit.domainId);
    addVote(vote);
  }

  // ---- optimizer ------------------------------------------------------------------------------
  async function optimizeOnce(): Promise<void> {
    const state = deps.state();
    const wanted = deps.domainId();
    const domain = state.params.domains.find((d) => d.id === wanted);
    if (!domain) throw new Error(`this network has no domain ${wanted}`);
    const { optimizer } = await deps.compute();
    const bestHash = state.domains[domain.id]?.bestParamsHash ?? null;
    const bestMetric = state.domains[domain.id]?.bestMetric ?? domain.initialBest;
    const start =
      (bestHash ? await deps.blob(bestHash, '') : null) ?? (await optimizer.initialParams()).params;
    const seed = hashTagged('doin/optimize', {
      who: deps.key.publicKey,
      round: round++,
      base: state.tipHash,
    });
    counters.activity = 'training';
    counters.progress = 0;
    let candidate: Awaited<ReturnType<typeof optimizer.optimize>>;
    try {
      candidate = await optimizer.optimize(
        start.slice(),
        { steps: deps.stepsPerCandidate, seed },
        {
          onProgress: (event) => {
            counters.progress = event.fraction;
          },
        },
      );
    } finally {
      counters.activity = 'idle';
    }
    counters.proposed++;
    const claimed = cheat ? candidate.metric * cheat.claimFactor : candidate.metric;
    const gain = improvement(domain, bestMetric, claimed);
    if (!(gain > domain.tolerance * Math.max(Math.abs(bestMetric), 1e-9))) return;
    // The chain may have moved while we trained: commit on the tip we see now.
    const tip = deps.state();
    deps.storeBlob(candidate.paramsHash, candidate.params);
    const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
    const { commit, reveal, commitId } = prepareCommit(
      {
        domainId: domain.id,
        paramsHash: candidate.paramsHash,
        nonce,
        claimedMetric: claimed,
        base: { height: tip.height, hash: tip.tipHash },
      },
      deps.key,
      tip.networkId,
    );
    await deps.publish('commit', commit);
    addCommit(commit, commitId);
    counters.committed++;
    deps.onCommitted?.(commit, commitId);
    // Reveal once the commit has had a moment to spread: nobody can copy what they saw first.
    await sleep(REVEAL_DELAY_MS);
    await deps.publish('reveal', reveal);
    addReveal(reveal);
    // One open candidate at a time: train the next one from the best it leads to, not alongside.
    const deadline = deps.now() + 4 * tip.params.targetBlockTimeMs;
    while (running && pool.has(commitId) && deps.now() < deadline) await sleep(250);
  }

  /** How long the chain has gone without a block, as a block made now would count it. */
  function stalledMs(state: ChainState): number {
    const tip = state.recentBlocks[state.recentBlocks.length - 1];
    return tip ? Math.max(0, deps.now() - tip.timestamp) : 0;
  }

  /** After a stall quorums open: evaluate what waits for members who may have gone away. */
  function evaluateIfStalled(): void {
    const state = deps.state();
    if (!running || cheat || stalledMs(state) <= quorumOpensAfterMs(state.params)) return;
    let queued = false;
    for (const [id, entry] of pool) {
      if (!entry.reveal || evaluated.has(id) || evaluationQueue.includes(id)) continue;
      if (entry.commit.optimizer === deps.key.publicKey) continue;
      if (entry.commit.domainId !== deps.domainId()) continue;
      evaluationQueue.push(id);
      queued = true;
    }
    if (queued) void evaluateQueued();
  }

  /**
   * The votes a block made now may carry for this commit: the selected members' (others would
   * make the whole optimae invalid), or once quorums are open up to K, members first.
   */
  function usableVotes(id: Hash, entry: PoolEntry, state: ChainState): Vote[] {
    const base = state.recentBlocks.find((b) => b.hash === entry.commit.baseHash);
    if (!base) return [];
    const { optimizer } = entry.commit;
    const votes = [...entry.votes.values()];
    const quorum = selectQuorum(base, id, optimizer, state.params, stalledMs(state));
    const usual = selectQuorum(base, id, optimizer, state.params);
    const members = new Set(usual.mode === 'selected' ? usual.members : []);
    if (quorum.mode === 'selected') return votes.filter((vote) => members.has(vote.evaluator));
    votes.sort((a, b) => Number(members.has(b.evaluator)) - Number(members.has(a.evaluator)));
    return votes.slice(0, quorum.maxVotes);
  }

  // ---- block maker ----------------------------------------------------------------------------
  let blockTimer: ReturnType<typeof setTimeout> | null = null;
  function scheduleBlock(): void {
    if (blockTimer) return;
    // A short random wait: pages that see the same pool do not all build at the same instant.
    blockTimer = setTimeout(
      () => {
        blockTimer = null;
        tryMakeBlock();
      },
      200 + Math.random() * 800,
    );
  }
  function tryMakeBlock(): void {
    if (cheat) return;
    prune();
    const ready: Optimae[] = [];
    const params = deps.state().params;
    // Local policy, not a rule: wait for a 2/3 quorum of votes before building on an optimae
    // (an open bootstrap quorum accepts fewer), unless it has waited two block times already.
    const wanted = supermajority(params.quorum.size);
    const patience = 2 * params.targetBlockTimeMs;
    const current = deps.state();
    for (const [id, entry] of pool) {
      const votes = usableVotes(id, entry, current);
      const enough = votes.length >= wanted || deps.now() - entry.seenAt > patience;
      if (entry.reveal && votes.length > 0 && enough) {
        ready.push({ commit: entry.commit, reveal: entry.reveal, votes });
      }
    }
    if (ready.length === 0) return;
    const state = deps.state();
    const built = buildBlock({
      state,
      generator: deps.key,
      timestamp: deps.now(),
      optimae: ready,
      transfers: [...mempool.values()],
    });
    if (!built.ok) return;
    if (!deps.importOwnBlock(built.block)) return;
    counters.blocksMade++;
    prune();
    void deps.publish('block', built.block).catch((err: unknown) => {
      noteError(`could not gossip a block: ${message(err)}`);
    });
  }
  const blockTicker = setInterval(() => {
    if (pool.size === 0) return;
    evaluateIfStalled();
    scheduleBlock();
  }, BLOCK_TICK_MS);

  return {
    pool,
    mempool,
    counters,
    addTransfer,
    addCommit,
    addReveal,
    addVote,
    prune,
    isRunning: () => running,
    setCheat(claimFactor: number | null): void {
      cheat = claimFactor === null ? null : { claimFactor };
    },
    start(): void {
      if (running) return;
      running = true;
      for (const [id, entry] of pool)
        if (entry.reveal && !evaluated.has(id)) evaluationQueue.push(id);
      void evaluateQueued();
      loop = (async () => {
        while (running) {
          try {
            // Between candidates, with no evaluation in flight, the node may change domain
            // (its workers are per domain, and switching replaces them).
            if (!evaluating) deps.beforeCandidate?.();
            await optimizeOnce();
          } catch (err) {
            if (!running) break;
            noteError(message(err));
            await sleep(2_000);
          }
        }
      })();
    },
    async stop(): Promise<void> {
      if (!running) return;
      running = false;
      const compute = await deps.compute().catch(() => null);
      await compute?.optimizer.cancel().catch(() => false);
      await loop;
    },
    dispose(): void {
      running = false;
      clearInterval(blockTicker);
      if (blockTimer) clearTimeout(blockTimer);
    },
  };
}

export type Roles = ReturnType<typeof createRoles>;

const REVEAL_DELAY_MS = 500;
const BLOCK_TICK_MS = 2_000;
/** Fetch attempts for a candidate's parameters after the first, and the wait before each. */
const BLOB_RETRIES = 4;
const BLOB_RETRY_MS = 3_000;

class BlobUnavailableError extends Error {
  constructor(hash: Hash) {
    super(`parameters ${hash.slice(0, 12)}… unavailable`);
  }
}

/** Transfers kept at most (the gossip validator already limits each sender's rate). */
const MAX_MEMPOOL = 4_096;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
