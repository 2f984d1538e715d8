/**
 * Threshold controller: the increment sum a block must reach. It holds the mean block time near
 * the target with an integer EMA of block intervals, a per-block step clamp, a per-epoch clamp
 * and global bounds. Integer-only arithmetic, derived from block timestamps alone, so every peer
 * computes the same schedule.
 */
import type { NetworkParams } from './schemas';

export interface ThresholdState {
  readonly threshold: number;
  readonly emaBlockTimeMs: number;
  readonly epochStartThreshold: number;
}

export function initialThresholdState(params: NetworkParams): ThresholdState {
  return {
    threshold: clampToBounds(params.threshold.initial, params),
    emaBlockTimeMs: params.targetBlockTimeMs,
    epochStartThreshold: clampToBounds(params.threshold.initial, params),
  };
}

function clampToBounds(value: number, params: NetworkParams): number {
  return Math.min(params.threshold.max, Math.max(params.threshold.min, value));
}

/**
 * The threshold a block must actually reach when it comes `elapsedMs` after its parent: the
 * scheduled value until twice the target time has passed, then halving every further target
 * time (linearly between halvings, in integers). Improvements shrink by orders of magnitude as
 * models converge; a decay in proportion to the wait (tried first) took hours to bring a
 * 50,000 bar down to a 100-unit improvement, so the chain stalled. Halving gets there in nine
 * target times.
 */
export function requiredThreshold(
  scheduled: number,
  elapsedMs: number,
  params: NetworkParams,
): number {
  const target = params.targetBlockTimeMs;
  const grace = target * 2;
  if (elapsedMs <= grace) return scheduled;
  const late = BigInt(elapsedMs - grace);
  const step = BigInt(target);
  const halvings = late / step;
  if (halvings >= 64n) return params.threshold.min;
  const base = BigInt(scheduled) >> halvings;
  const decayed = Number(base - (base * (late - halvings * step)) / (2n * step));
  return Math.max(params.threshold.min, Math.min(scheduled, decayed));
}

/**
 * The schedule after a block at `height` that came `intervalMs` after its parent and met
 * `previous.threshold` (the required value, which may have decayed below the schedule).
 */
export function nextThreshold(
  previous: ThresholdState,
  intervalMs: number,
  height: number,
  params: NetworkParams,
): ThresholdState {
  const cfg = params.threshold;
  const target = params.targetBlockTimeMs;
  // A clamped interval keeps one lying timestamp from swinging the EMA far.
  const interval = Math.min(target * cfg.intervalClampFactor, Math.max(1, intervalMs));
  const ema = Math.max(
    1,
    Math.floor((previous.emaBlockTimeMs * (cfg.emaWindow - 1) + interval) / cfg.emaWindow),
  );
  const current = BigInt(previous.threshold);
  // Blocks faster than the target raise the bar, slower ones lower it.
  let next = (current * BigInt(target)) / BigInt(ema);
  // At least one unit up: floor(current × (1 + step)) is current itself for a small threshold
  // (1, 2, 3 at 25%), which could then never rise again however fast blocks came.
  let stepUp = (current * BigInt(10_000 + cfg.maxStepBps)) / 10_000n;
  if (stepUp <= current) stepUp = current + 1n;
  const stepDown = (current * BigInt(10_000 - cfg.maxStepBps)) / 10_000n;
  if (next > stepUp) next = stepUp;
  if (next < stepDown) next = stepDown;
  const epochStart = BigInt(previous.epochStartThreshold);
  const factor = BigInt(cfg.epochMaxFactor);
  if (next > epochStart * factor) next = epochStart * factor;
  if (next < epochStart / factor) next = epochStart / factor;
  const threshold = clampToBounds(Number(next), params);
  const epochStartThreshold =
    height % cfg.epochLength === 0 ? threshold : previous.epochStartThreshold;
  return { threshold, emaBlockTimeMs: ema, epochStartThreshold };
}
