/**
 * Proof-of-optimization engine: checks one optimae (commit + reveal + votes) against the chain
 * and turns the quorum's measurements into a verdict and an integer increment. The optimizer's
 * claimed metric is never used for the increment; it is only checked against the verified one.
 */

import { checkReveal, isCommitExpired } from './commitReveal';
import type { AccountId } from './crypto';
import type { Hash } from './hash';
import { commitId as computeCommitId, verifyVote } from './objects';
import { type Agreement, assessVotes, type Quorum, selectQuorum, withinTolerance } from './quorum';
import { reputationFactorBps } from './reputation';
import type { ChainState, DomainDescriptor, NetworkParams, Optimae, RecentBlock } from './schemas';

export type Verdict =
  /** Verified improvement over the domain's best: earns an increment. */
  | 'accepted'
  /** The claim disagrees with what the quorum measured: earns nothing, costs reputation. */
  | 'false-claim'
  /** Honest but no longer better than the domain's best (it improved meanwhile): earns nothing. */
  | 'stale';

export interface OptimaeAssessment {
  readonly commitId: Hash;
  readonly domainId: string;
  readonly optimizer: AccountId;
  readonly paramsHash: Hash;
  readonly verdict: Verdict;
  readonly verifiedMetric: number;
  readonly increment: number;
  readonly agreeing: readonly AccountId[];
  readonly outliers: readonly AccountId[];
  readonly quorumMode: Quorum['mode'];
}

/** An optimae whose signatures, base, reveal and quorum all check out, with its agreement. */
export interface CheckedOptimae {
  readonly commitId: Hash;
  readonly domain: DomainDescriptor;
  readonly optimizer: AccountId;
  readonly paramsHash: Hash;
  readonly claimedMetric: number;
  readonly agreement: Agreement;
  /** 'open' while the network bootstraps: validators should then re-evaluate it themselves. */
  readonly quorumMode: Quorum['mode'];
}

export interface OptimaeContext {
  readonly networkId: Hash;
  readonly params: NetworkParams;
  readonly height: number;
  readonly recentBlocks: readonly RecentBlock[];
  /** Ids already paid on this chain or earlier in the block being checked. */
  isCommitUsed(id: Hash): boolean;
  /** The including block's timestamp minus its parent's (quorums open after a long stall). */
  readonly stalledMs?: number;
}

/** The context for optimae in the block that would extend `state`. */
export function optimaeContextFor(
  state: ChainState,
  usedInBlock: ReadonlySet<Hash>,
  blockTimestamp?: number,
): OptimaeContext {
  const parent = state.recentBlocks[state.recentBlocks.length - 1];
  return {
    stalledMs:
      blockTimestamp === undefined || !parent ? 0 : Math.max(0, blockTimestamp - parent.timestamp),
    networkId: state.networkId,
    params: state.params,
    height: state.height + 1,
    recentBlocks: state.recentBlocks,
    isCommitUsed: (id) => id in state.recentCommits || usedInBlock.has(id),
  };
}

export type OptimaeCheck = { ok: true; value: CheckedOptimae } | { ok: false; error: string };

export function domainById(params: NetworkParams, id: string): DomainDescriptor | undefined {
  return params.domains.find((d) => d.id === id);
}

/** Signed improvement in the metric's direction (positive = better). */
export function improvement(domain: DomainDescriptor, best: number, candidate: number): number {
  return domain.direction === 'minimize' ? best - candidate : candidate - best;
}

/** Integer increment: improvement × weight × incrementScale, times the reputation factor. */
export function incrementUnits(
  domain: DomainDescriptor,
  gain: number,
  reputation: number,
  params: NetworkParams,
): number {
  const raw = Math.min(
    params.threshold.max,
    Math.floor(gain * domain.weight * params.incrementScale),
  );
  return Math.floor((raw * reputationFactorBps(reputation, params)) / 10_000);
}

/**
 * Everything about an optimae that does not depend on the domain's current best: signatures,
 * expiry, base on this chain, the reveal opening the commitment, quorum membership and
 * agreement. The expensive part (signature checks) happens once here.
 */
export function checkOptimae(optimae: Optimae, ctx: OptimaeContext): OptimaeCheck {
  const fail = (error: string): OptimaeCheck => ({ ok: false, error });
  const { commit, reveal, votes } = optimae;
  const id = computeCommitId(commit);
  const domain = domainById(ctx.params, commit.domainId);
  if (!domain) return fail(`unknown domain ${commit.domainId}`);
  if (ctx.isCommitUsed(id)) return fail(`commit ${id.slice(0, 12)} already included`);
  if (isCommitExpired(commit, ctx.height, ctx.params)) return fail('commit expired');
  if (commit.baseHeight >= ctx.height) return fail('commit base is not below the block');
  const base = ctx.recentBlocks.find((b) => b.height === commit.baseHeight);
  if (!base || base.hash !== commit.baseHash) return fail('commit base is not on this chain');

  const opened = checkReveal(commit, reveal, ctx.networkId);
  if (!opened.ok) return fail(opened.error);

  const quorum = selectQuorum(base, id, commit.optimizer, ctx.params, ctx.stalledMs ?? 0);
  const seen = new Set<AccountId>();
  for (const vote of votes) {
    if (vote.commitId !== id || vote.paramsHash !== reveal.paramsHash) {
      return fail('vote is for other parameters');
    }
    if (vote.evaluator === commit.optimizer) return fail('optimizer voted on its own optimae');
    if (seen.has(vote.evaluator)) return fail('duplicate vote');
    seen.add(vote.evaluator);
    if (quorum.mode === 'selected' && !quorum.members.includes(vote.evaluator)) {
      return fail('vote from outside the quorum');
    }
    if (!verifyVote(vote, ctx.networkId)) return fail('bad vote signature');
  }
  if (quorum.mode === 'open' && votes.length > quorum.maxVotes) return fail('too many votes');

  const agreement = assessVotes(votes, quorum, domain.tolerance);
  if (!agreement.agreed) return fail('quorum did not agree');
  return {
    ok: true,
    value: {
      commitId: id,
      domain,
      optimizer: commit.optimizer,
      paramsHash: reveal.paramsHash,
      claimedMetric: commit.claimedMetric,
      agreement,
      quorumMode: quorum.mode,
    },
  };
}

/**
 * The verdict against the domain's best at this point of the block. The increment comes from
 * the quorum's median, never from the claim; the claim only has to match it.
 */
export function judgeOptimae(
  checked: CheckedOptimae,
  best: number,
  optimizerReputation: number,
  params: NetworkParams,
): OptimaeAssessment {
  const { domain, agreement } = checked;
  const verified = agreement.median;
  const gain = improvement(domain, best, verified);
  let verdict: Verdict;
  if (!withinTolerance(checked.claimedMetric, verified, domain.tolerance)) verdict = 'false-claim';
  else if (gain <= domain.tolerance * Math.max(Math.abs(best), 1e-9)) verdict = 'stale';
  else verdict = 'accepted';
  return {
    commitId: checked.commitId,
    domainId: domain.id,
    optimizer: checked.optimizer,
    paramsHash: checked.paramsHash,
    verdict,
    verifiedMetric: verified,
    increment:
      verdict === 'accepted' ? incrementUnits(domain, gain, optimizerReputation, params) : 0,
    agreeing: agreement.agreeing,
    outliers: agreement.outliers,
    quorumMode: checked.quorumMode,
  };
}
