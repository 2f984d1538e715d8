/**
 * Fork choice: the heaviest chain by cumulative threshold wins; equal weight goes to the lower
 * block hash. This is a strict total order on heads, so every peer picks the same head from the
 * same set of blocks whatever order they arrived in.
 */
import type { Hash } from './hash';

export interface HeadCandidate {
  readonly hash: Hash;
  readonly cumulativeWork: number;
}

/** Negative when a is the better head, positive when b is, zero only for the same block. */
export function compareHeads(a: HeadCandidate, b: HeadCandidate): number {
  if (a.cumulativeWork !== b.cumulativeWork) return b.cumulativeWork - a.cumulativeWork;
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}

export function bestHead<T extends HeadCandidate>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) if (!best || compareHeads(c, best) < 0) best = c;
  return best;
}
