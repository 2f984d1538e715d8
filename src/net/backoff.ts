/**
 * Retry delays for redialing the relay: exponential with full jitter, so that many pages that
 * lost the same relay do not all come back in the same second.
 */

export interface BackoffOptions {
  /** Delay before the first retry (ms). */
  readonly initialMs: number;
  /** Upper bound on any delay (ms). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (0-based): a uniform draw from [base/2, base] where base
 * doubles per attempt up to maxMs. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const base = Math.min(options.maxMs, options.initialMs * 2 ** exponent);
  return Math.round(base / 2 + (random() * base) / 2);
}
