/**
 * Gossip validation for the doin topics (lodestar's chain/validation pattern): one validator per
 * message type, each returning accept / ignore / reject with a typed reason. GossipValidator
 * dispatches by topic, owns the bounded caches the validators share, counts verdicts for the
 * page, and never throws: its verdicts feed gossipsub's topic validators directly.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { isCommitExpired } from '../../core/commitReveal';
import { validateBlock } from './block';
import { createCaches, type GossipCacheSizes, type GossipCaches } from './cache';
import { type GossipObjects, type GossipTopic, isGossipTopic } from './codec';
import { validateCommit } from './commit';
import type { GossipContext } from './context';
import { validateReveal } from './reveal';
import { validateTransfer } from './tx';
import { fail, type GossipAction, type GossipReason, type GossipVerdict } from './verdict';
import { validateVote } from './vote';

export * from './block';
export { BoundedMap, BoundedSet, type GossipCacheSizes, type GossipCaches } from './cache';
export * from './codec';
export * from './commit';
export * from './context';
export * from './reveal';
export * from './tx';
export * from './verdict';
export * from './vote';

export interface GossipValidatorOptions {
  /** Entries per cache (defaults in DEFAULT_CACHE_SIZES). */
  readonly cacheSizes?: Partial<GossipCacheSizes>;
  /** How many recent rejections recentRejections() keeps (default 16). */
  readonly recentRejections?: number;
  /** Blocks this far below the head are ignored as stale (default STALE_BLOCK_DEPTH). */
  readonly staleBlockDepth?: number;
  /** Transfers this far past the sender's next nonce are ignored (default MAX_NONCE_AHEAD). */
  readonly maxNonceAhead?: number;
}

/**
 * Sized for a busy test net: a commit lives commitExpiryBlocks (30) blocks, so 4,096 commits
 * is ~136 per block; each has at most one reveal and quorum.size (≤ 16) votes.
 */
export const DEFAULT_CACHE_SIZES: GossipCacheSizes = {
  commits: 4_096,
  reveals: 4_096,
  votes: 65_536,
  blocks: 1_024,
  transfers: 16_384,
};

export interface GossipCounts {
  accepted: number;
  ignored: number;
  rejected: number;
}

/** Per-topic counts; messages on topics we do not validate are counted under 'other'. */
export type GossipStats = Record<GossipTopic | 'other', GossipCounts>;

export interface GossipRejection {
  readonly topic: string;
  readonly reason: GossipReason;
  readonly message: string;
  /** Local time (ctx.now()) of the rejection, ms. */
  readonly at: number;
}

export class GossipValidator {
  private readonly caches: GossipCaches;
  private readonly counts: GossipStats;
  private readonly rejections: GossipRejection[] = [];
  private readonly maxRejections: number;

  constructor(
    private readonly ctx: GossipContext,
    private readonly options: GossipValidatorOptions = {},
  ) {
    this.caches = createCaches({ ...DEFAULT_CACHE_SIZES, ...options.cacheSizes });
    this.maxRejections = options.recentRejections ?? 16;
    const zero = (): GossipCounts => ({ accepted: 0, ignored: 0, rejected: 0 });
    this.counts = {
      'doin/1/commit': zero(),
      'doin/1/reveal': zero(),
      'doin/1/vote': zero(),
      'doin/1/block': zero(),
      'doin/1/tx': zero(),
      other: zero(),
    };
  }

  /**
   * Validates one gossip message. Accepting records the object (commits and reveals are then
   * known to later reveals and votes; a block is imported into the chain by ctx.importBlock).
   */
  validate<T extends GossipTopic>(topic: T, data: Uint8Array): GossipVerdict<GossipObjects[T]>;
  validate(topic: string, data: Uint8Array): GossipVerdict<unknown>;
  validate(topic: string, data: Uint8Array): GossipVerdict<unknown> {
    let verdict: GossipVerdict<unknown>;
    try {
      verdict = this.dispatch(topic, data);
    } catch (err) {
      // A throwing context is our bug, not the sender's: ignore, never reject.
      verdict = fail('internal', err instanceof Error ? err.message : String(err));
    }
    this.record(topic, verdict);
    return verdict;
  }

  /** Counts of accepted, ignored and rejected messages per topic (a copy). */
  stats(): GossipStats {
    return structuredClone(this.counts);
  }

  /** The most recent rejections, oldest first. */
  recentRejections(): readonly GossipRejection[] {
    return [...this.rejections];
  }

  /**
   * Forgets commits (and their reveals) whose base has expired at the current head. Optional:
   * freshness is checked against ctx.head() on every message anyway; this only frees memory
   * sooner than the caches' size bounds would. Call it when the head changes.
   */
  prune(): void {
    const head = this.ctx.head().height;
    for (const [id, commit] of [...this.caches.commits.entries()]) {
      if (!isCommitExpired(commit, head, this.ctx.params)) continue;
      this.caches.commits.delete(id);
      this.caches.reveals.delete(id);
    }
  }

  private dispatch(topic: string, data: Uint8Array): GossipVerdict<unknown> {
    if (!isGossipTopic(topic)) return fail('unknown-topic', `not a doin topic: ${topic}`);
    if (!(data instanceof Uint8Array)) return fail('not-cbor', 'message data is not bytes');
    switch (topic) {
      case 'doin/1/commit':
        return validateCommit(data, this.ctx, this.caches);
      case 'doin/1/reveal':
        return validateReveal(data, this.ctx, this.caches);
      case 'doin/1/vote':
        return validateVote(data, this.ctx, this.caches);
      case 'doin/1/block':
        return validateBlock(data, this.ctx, this.caches, {
          staleDepth: this.options.staleBlockDepth,
        });
      case 'doin/1/tx':
        return validateTransfer(data, this.ctx, this.caches, {
          maxNonceAhead: this.options.maxNonceAhead,
        });
    }
  }

  private record(topic: string, verdict: GossipVerdict<unknown>): void {
    const counts = isGossipTopic(topic) ? this.counts[topic] : this.counts.other;
    if (verdict.action === 'accept') {
      counts.accepted++;
      return;
    }
    if (verdict.action === 'ignore') {
      counts.ignored++;
      return;
    }
    counts.rejected++;
    let at = Number.NaN;
    try {
      at = this.ctx.now();
    } catch {
      // Keep NaN: a broken clock must not make validation throw.
    }
    this.rejections.push({ topic, reason: verdict.reason, message: verdict.message, at });
    if (this.rejections.length > this.maxRejections) this.rejections.shift();
  }
}

const RESULTS: Record<GossipAction, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** The value a gossipsub topic validator returns for a verdict. */
export const toTopicValidatorResult = (verdict: GossipVerdict<unknown>): TopicValidatorResult =>
  RESULTS[verdict.action];
