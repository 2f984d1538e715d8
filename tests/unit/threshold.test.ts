import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashTagged } from '../../src/core/hash';
import { SeededRandom } from '../../src/core/random';
import type { NetworkParams } from '../../src/core/schemas';
import {
  initialThresholdState,
  nextThreshold,
  requiredThreshold,
  type ThresholdState,
} from '../../src/core/threshold';
import { testParams } from '../support/fixtures';

const params = testParams();
const TARGET = params.targetBlockTimeMs;

interface BlockStep {
  readonly elapsed: number;
  readonly scheduled: number;
  readonly required: number;
  readonly before: ThresholdState;
  readonly after: ThresholdState;
  readonly height: number;
}

/** One block, exactly as chain.ts applies it. */
function applyInterval(
  state: ThresholdState,
  elapsed: number,
  height: number,
  p: NetworkParams,
): BlockStep {
  const required = requiredThreshold(state.threshold, elapsed, p);
  const after = nextThreshold({ ...state, threshold: required }, elapsed, height, p);
  return { elapsed, scheduled: state.threshold, required, before: state, after, height };
}

/**
 * When a network producing `rate` increment units per ms reaches the required threshold: the
 * first whole millisecond at which rate × t ≥ requiredThreshold(scheduled, t). The requirement
 * decays after 2 × target, so a bar set far too high is still met eventually.
 */
function timeToBlock(scheduled: number, rate: number, p: NetworkParams): number {
  const grace = 2 * p.targetBlockTimeMs;
  if (scheduled / rate <= grace) return Math.max(1, Math.ceil(scheduled / rate));
  let lo = grace; // rate × lo < required
  let hi = Math.ceil(Math.sqrt((grace * scheduled) / rate)) + 2;
  while (rate * hi < requiredThreshold(scheduled, hi, p)) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (rate * mid >= requiredThreshold(scheduled, mid, p)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * A network whose work rate is `rate(height)` units/ms, with each block's luck a factor in
 * [0.5, 1.5] on its interval (interval ≈ threshold / rate × noise while no decay applies).
 */
function simulate(
  rate: (height: number) => number,
  blocks: number,
  seed: number,
  p: NetworkParams = params,
): BlockStep[] {
  const rng = new SeededRandom(hashTagged('threshold-test/noise', seed));
  let state = initialThresholdState(p);
  const steps: BlockStep[] = [];
  for (let height = 1; height <= blocks; height++) {
    const noise = 0.5 + rng.next();
    const step = applyInterval(
      state,
      timeToBlock(state.threshold, rate(height) / noise, p),
      height,
      p,
    );
    steps.push(step);
    state = step.after;
  }
  return steps;
}

/** log10 of the work rate, spread evenly over [lo, hi] (fc.double favours 0 and the ends). */
const log10RateIn = (lo: number, hi: number) =>
  fc.integer({ min: 0, max: 1_000 }).map((i) => lo + ((hi - lo) * i) / 1_000);

const meanInterval = (steps: readonly BlockStep[]) =>
  steps.reduce((s, x) => s + x.elapsed, 0) / steps.length;

const stepUpOf = (x: number, bps: number) =>
  Math.max(Number((BigInt(x) * BigInt(10_000 + bps)) / 10_000n), x + 1);
const stepDownOf = (x: number, bps: number) => Number((BigInt(x) * BigInt(10_000 - bps)) / 10_000n);

/** Every per-block rule of the controller, checked on one applied block. */
function checkStep(s: BlockStep, p: NetworkParams): void {
  const cfg = p.threshold;
  const { scheduled, required, after, before, elapsed, height } = s;
  const where = `height ${height}, elapsed ${elapsed}, scheduled ${scheduled}`;
  // Global bounds.
  expect(after.threshold, where).toBeGreaterThanOrEqual(cfg.min);
  expect(after.threshold, where).toBeLessThanOrEqual(cfg.max);
  expect(Number.isSafeInteger(after.threshold)).toBe(true);
  // The requirement only ever falls below the schedule, and only through waiting.
  expect(required, where).toBeLessThanOrEqual(scheduled);
  expect(required, where).toBeGreaterThanOrEqual(Math.min(cfg.min, scheduled));
  if (elapsed <= 2 * p.targetBlockTimeMs) expect(required, where).toBe(scheduled);
  // Step clamp: never up by more than maxStepBps of the schedule (at least one unit allowed);
  // never down by more than maxStepBps of what the block had to meet.
  expect(after.threshold, where).toBeLessThanOrEqual(
    Math.min(cfg.max, stepUpOf(scheduled, cfg.maxStepBps)),
  );
  expect(after.threshold, where).toBeGreaterThanOrEqual(
    Math.max(cfg.min, stepDownOf(required, cfg.maxStepBps)),
  );
  // Epoch clamp, and the epoch start moves only at epoch boundaries.
  const epochStart = before.epochStartThreshold;
  expect(after.threshold, where).toBeLessThanOrEqual(
    Math.min(cfg.max, epochStart * cfg.epochMaxFactor),
  );
  expect(after.threshold, where).toBeGreaterThanOrEqual(
    Math.max(cfg.min, Math.floor(epochStart / cfg.epochMaxFactor)),
  );
  expect(after.epochStartThreshold).toBe(
    height % cfg.epochLength === 0 ? after.threshold : epochStart,
  );
  expect(after.emaBlockTimeMs).toBeGreaterThanOrEqual(1);
  expect(after.emaBlockTimeMs).toBeLessThanOrEqual(
    Math.max(before.emaBlockTimeMs, p.targetBlockTimeMs * cfg.intervalClampFactor),
  );
}

// ---- convergence ---------------------------------------------------------------------------

describe('threshold controller convergence', () => {
  it('brings the mean block time to the target from a threshold orders of magnitude off', () => {
    fc.assert(
      fc.property(
        // Equilibrium threshold rate × target from 50 to 5e9: initial 50,000 is 1000× too high
        // at one end and 100,000× too low at the other.
        log10RateIn(-2.3, 5.7),
        fc.nat(),
        (log10Rate, seed) => {
          const rate = 10 ** log10Rate;
          const steps = simulate(() => rate, 600, seed);
          for (const s of steps) checkStep(s, params);
          const mean = meanInterval(steps.slice(-200));
          // Measured over 30 runs: mean / target stayed within [0.985, 1.011].
          expect(Math.abs(mean / TARGET - 1), `rate 1e${log10Rate}: ${mean} ms`).toBeLessThan(0.1);
          // The schedule settled near rate × target (within the noise band).
          const settled = steps.slice(-200).map((s) => s.after.threshold);
          const avg = settled.reduce((a, b) => a + b, 0) / settled.length;
          expect(avg / (rate * TARGET)).toBeGreaterThan(0.75);
          expect(avg / (rate * TARGET)).toBeLessThan(1.33);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000); // 30 runs × 600 blocks: seconds on a loaded 2-core box

  it('follows the work rate when it jumps up or down by 1000×', () => {
    fc.assert(
      fc.property(
        // Equilibrium 1e5..1e7 before, 1e2..1e4 or 1e8..1e10 after. (Near 1 unit, integer
        // thresholds alone put the mean ~10% off: 1 → 2 doubles the interval.)
        log10RateIn(1, 3),
        fc.constantFrom(1e-3, 1e3),
        fc.nat(),
        (log10Rate, jump, seed) => {
          const rate = 10 ** log10Rate;
          const steps = simulate((h) => (h <= 400 ? rate : rate * jump), 1_000, seed);
          expect(Math.abs(meanInterval(steps.slice(200, 400)) / TARGET - 1)).toBeLessThan(0.1);
          expect(Math.abs(meanInterval(steps.slice(-200)) / TARGET - 1)).toBeLessThan(0.1);
        },
      ),
      { numRuns: 10 },
    );
  });

  it('climbs back from the minimum threshold when work resumes', () => {
    // A near-idle network drives the schedule to its floor (1); then real work arrives.
    const steps = simulate((h) => (h <= 300 ? 1e-5 : 1), 1_000, 7);
    expect(steps[299]?.after.threshold).toBeLessThanOrEqual(3);
    expect(Math.abs(meanInterval(steps.slice(-200)) / TARGET - 1)).toBeLessThan(0.1);
    // 1 → 2 → 3 → 4: each small step still moves (floor(3 × 1.25) alone would pin it at 3).
    for (const t of [1, 2, 3]) {
      const after = nextThreshold(
        { threshold: t, emaBlockTimeMs: 1, epochStartThreshold: t },
        1,
        1,
        params,
      );
      expect(after.threshold).toBe(t + 1);
    }
  });
});

// ---- per-block rules on arbitrary timestamps -----------------------------------------------

const thresholdConfig = fc
  .record({
    min: fc.integer({ min: 1, max: 1_000 }),
    span: fc.integer({ min: 0, max: 12 }),
    initial: fc.integer({ min: 1, max: 1e9 }),
    emaWindow: fc.integer({ min: 1, max: 64 }),
    maxStepBps: fc.integer({ min: 1, max: 9_000 }),
    epochLength: fc.integer({ min: 1, max: 100 }),
    epochMaxFactor: fc.integer({ min: 2, max: 64 }),
    intervalClampFactor: fc.integer({ min: 2, max: 100 }),
    targetBlockTimeMs: fc.integer({ min: 100, max: 600_000 }),
  })
  .map(({ min, span, targetBlockTimeMs, ...rest }) =>
    testParams({
      targetBlockTimeMs,
      threshold: { ...rest, min, max: Math.min(1e12, min * 10 ** span) },
    }),
  );

/** Block intervals as a validator may see them: out of order, on time, late, very late. */
const elapsedFor = (p: NetworkParams) =>
  fc.oneof(
    fc.integer({ min: -60_000, max: 0 }),
    fc.integer({ min: 1, max: p.targetBlockTimeMs * 3 }),
    fc.integer({ min: p.targetBlockTimeMs * 2, max: p.targetBlockTimeMs * 1_000 }),
    fc.integer({ min: 1, max: 1e11 }),
  );

describe('nextThreshold / requiredThreshold rules', () => {
  it('keep the threshold within bounds, step and epoch clamps along any chain', () => {
    fc.assert(
      fc.property(
        thresholdConfig.chain((p) =>
          fc.tuple(fc.constant(p), fc.array(elapsedFor(p), { minLength: 1, maxLength: 150 })),
        ),
        ([p, elapsed]) => {
          let state = initialThresholdState(p);
          expect(state.threshold).toBe(
            Math.min(p.threshold.max, Math.max(p.threshold.min, p.threshold.initial)),
          );
          for (const [i, e] of elapsed.entries()) {
            const step = applyInterval(state, e, i + 1, p);
            checkStep(step, p);
            state = step.after;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('requiredThreshold is the schedule up to 2× target, then halves every target time', () => {
    fc.assert(
      fc.property(
        thresholdConfig,
        fc.integer({ min: 1, max: 1e12 }),
        fc.integer({ min: -1e6, max: 1e11 }),
        fc.integer({ min: 0, max: 1e11 }),
        (p, s, e1, extra) => {
          const scheduled = Math.min(p.threshold.max, Math.max(p.threshold.min, s));
          const grace = 2 * p.targetBlockTimeMs;
          const r1 = requiredThreshold(scheduled, e1, p);
          const r2 = requiredThreshold(scheduled, e1 + extra, p);
          expect(r2).toBeLessThanOrEqual(r1); // non-increasing in elapsed time
          if (e1 <= grace) expect(r1).toBe(scheduled);
          else {
            // Halved once per target time past the grace, linear in between, within [min, scheduled].
            const late = e1 - grace;
            const k = Math.floor(late / p.targetBlockTimeMs);
            const upper = k >= 64 ? 0 : Number(BigInt(scheduled) >> BigInt(k));
            const lower = k >= 63 ? 0 : Number(BigInt(scheduled) >> BigInt(k + 1));
            expect(r1).toBeLessThanOrEqual(Math.max(p.threshold.min, upper));
            expect(r1).toBeGreaterThanOrEqual(
              Math.max(p.threshold.min, Math.min(scheduled, lower)),
            );
            expect(r1).toBeGreaterThanOrEqual(p.threshold.min);
          }
          expect(requiredThreshold(scheduled, grace, p)).toBe(scheduled);
          expect(requiredThreshold(scheduled, grace + 1, p)).toBeLessThanOrEqual(scheduled);
        },
      ),
      { numRuns: 500 },
    );
    // Known values under the default parameters (target 10 s, grace 20 s).
    expect(requiredThreshold(50_000, 20_000, params)).toBe(50_000);
    expect(requiredThreshold(50_000, 25_000, params)).toBe(37_500); // halfway to a halving
    expect(requiredThreshold(50_000, 30_000, params)).toBe(25_000); // one target late: halved
    expect(requiredThreshold(50_000, 40_000, params)).toBe(12_500);
    // From 50,000 to a 100-unit improvement in ~9 target times, not hours.
    expect(requiredThreshold(50_000, 20_000 + 9 * 10_000, params)).toBeLessThanOrEqual(100);
    expect(requiredThreshold(50_000, 2_000_000_000, params)).toBe(1);
  });

  it('is deterministic and does not mutate its input', () => {
    fc.assert(
      fc.property(log10RateIn(-2, 5), fc.nat(), (log10Rate, seed) => {
        const a = simulate(() => 10 ** log10Rate, 150, seed);
        const b = simulate(() => 10 ** log10Rate, 150, seed);
        expect(b).toEqual(a);
        const frozen = Object.freeze({ ...(a[10] as BlockStep).before });
        const copy = { ...frozen };
        const x = nextThreshold(frozen, 12_345, 11, params);
        expect(nextThreshold(copy, 12_345, 11, params)).toEqual(x);
        expect(frozen).toEqual(copy);
      }),
      { numRuns: 10 },
    );
  });

  it('raises the bar after fast blocks and lowers it after slow ones', () => {
    const start = initialThresholdState(params);
    const fast = nextThreshold(start, TARGET / 2, 1, params);
    const slow = nextThreshold(start, TARGET * 2, 1, params);
    const onTime = nextThreshold(start, TARGET, 1, params);
    expect(fast.threshold).toBeGreaterThan(start.threshold);
    expect(slow.threshold).toBeLessThan(start.threshold);
    expect(onTime.threshold).toBe(start.threshold);
    expect(onTime.emaBlockTimeMs).toBe(TARGET);
  });
});
