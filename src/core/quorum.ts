/**
 * Who evaluates an optimae, with which seed, and when votes agree.
 *
 * The eligible set is read from the chain alone: after every block, the established evaluators
 * (effective reputation ≥ evaluatorMin) and newcomers (0 < reputation < evaluatorMin) are
 * recorded in the block's RecentBlock entry, capped and ordered by reputation. A commit names
 * its base block, so every validator uses the same sets.
 *
 * - Selected mode (enough established evaluators to form a 2/3 majority on their own): K
 *   members drawn by a seeded shuffle from hash(baseHash ‖ commitId); at most K − ⌈2K/3⌉ slots
 *   go to newcomers, so newcomers can earn reputation as evaluators but can never outvote the
 *   established ones.
 * - Bootstrap mode (too few established evaluators, e.g. at genesis): the quorum is open; any
 *   signer other than the optimizer may vote, up to K votes. See README "Bootstrap".
 */
import type { AccountId } from './crypto';
import { type Hash, hashConcatHex } from './hash';
import { TAGS } from './objects';
import { SeededRandom } from './random';
import type { NetworkParams, RecentBlock, Vote } from './schemas';

export type Quorum =
  | { readonly mode: 'selected'; readonly members: readonly AccountId[] }
  | { readonly mode: 'open'; readonly maxVotes: number };

export const supermajority = (size: number): number => Math.ceil((2 * size) / 3);

/**
 * After this many target block times without a block, quorums open (any K other evaluators may
 * vote). Liveness: selected members who went away (closed their tab) can otherwise stall a
 * small network for good, since reputation only decays as blocks are made. Decided from block
 * timestamps, so every validator agrees: the gap between a block and its parent.
 */
export const QUORUM_OPENS_AFTER_TARGETS = 4;

/** The time without a block after which quorums open. */
export const quorumOpensAfterMs = (params: NetworkParams): number =>
  QUORUM_OPENS_AFTER_TARGETS * params.targetBlockTimeMs;

/**
 * The quorum for a commit on `base`. `stalledMs` is how long the chain has gone without a block
 * when the optimae is included (the including block's timestamp minus its parent's).
 */
export function selectQuorum(
  base: RecentBlock,
  commitId: Hash,
  optimizer: AccountId,
  params: NetworkParams,
  stalledMs = 0,
): Quorum {
  const size = params.quorum.size;
  const established = base.evaluators.filter((id) => id !== optimizer);
  const newcomers = base.newcomers.filter((id) => id !== optimizer);
  if (established.length < supermajority(size)) return { mode: 'open', maxVotes: size };
  if (stalledMs > quorumOpensAfterMs(params)) return { mode: 'open', maxVotes: size };
  const rng = new SeededRandom(hashConcatHex(TAGS.quorum, base.hash, commitId));
  const newcomerSlots = Math.min(size - supermajority(size), newcomers.length);
  const establishedSlots = Math.min(size - newcomerSlots, established.length);
  const members = [
    ...seededSample(established, establishedSlots, rng),
    ...seededSample(newcomers, newcomerSlots, rng),
  ];
  return { mode: 'selected', members: members.sort() };
}

function seededSample<T>(items: readonly T[], count: number, rng: SeededRandom): T[] {
  const pool = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, count);
}

/** The seed an evaluator's data is generated from: unknown until the commit exists. */
export const evaluationSeed = (commitId: Hash, evaluator: AccountId, baseHash: Hash): Hash =>
  hashConcatHex(TAGS.evalSeed, commitId, evaluator, baseHash);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  // The sort cannot tell -0 from 0, so either could come out depending on input order: + 0
  // turns -0 into 0 and the median no longer depends on the order votes arrived in.
  return m + 0;
}

/** Relative closeness, with an absolute floor so metrics near zero still compare sanely. */
export function withinTolerance(value: number, reference: number, tolerance: number): boolean {
  return Math.abs(value - reference) <= tolerance * Math.max(Math.abs(reference), 1e-9);
}

export interface Agreement {
  readonly agreed: boolean;
  readonly median: number;
  readonly agreeing: readonly AccountId[];
  readonly outliers: readonly AccountId[];
}

/**
 * ≥ 2/3 of the quorum must lie within tolerance of the votes' median. In selected mode the
 * denominator is the whole quorum, so members who stay silent count against agreement.
 */
export function assessVotes(
  votes: readonly Pick<Vote, 'evaluator' | 'metric'>[],
  quorum: Quorum,
  tolerance: number,
): Agreement {
  const m = median(votes.map((vote) => vote.metric));
  const agreeing: AccountId[] = [];
  const outliers: AccountId[] = [];
  for (const vote of votes) {
    (withinTolerance(vote.metric, m, tolerance) ? agreeing : outliers).push(vote.evaluator);
  }
  const size = quorum.mode === 'selected' ? quorum.members.length : votes.length;
  return {
    agreed: votes.length > 0 && agreeing.length >= supermajority(size),
    median: m,
    agreeing,
    outliers,
  };
}
