import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyAccount } from '../../src/core/ledger';
import { effectiveReputation, reputationFactorBps } from '../../src/core/reputation';
import type { AccountState, NetworkParams } from '../../src/core/schemas';
import { testParams } from '../support/fixtures';

const base = testParams();
const withReputation = (r: Partial<NetworkParams['reputation']>): NetworkParams =>
  testParams({ reputation: { ...base.reputation, ...r } });

const account = (reputation: number, reputationHeight: number): AccountState => ({
  ...emptyAccount(reputationHeight),
  balance: 7,
  reputation,
  reputationHeight,
});

describe('effectiveReputation', () => {
  it('halves at every multiple of halfLifeBlocks (stepwise) under the default parameters', () => {
    const hl = base.reputation.halfLifeBlocks;
    const acc = account(1_000, 0);
    expect(effectiveReputation(acc, 0, base)).toBe(1_000);
    expect(effectiveReputation(acc, hl - 1, base)).toBe(1_000);
    expect(effectiveReputation(acc, hl, base)).toBe(500);
    expect(effectiveReputation(acc, 2 * hl - 1, base)).toBe(500);
    expect(effectiveReputation(acc, 2 * hl, base)).toBe(250);
    expect(effectiveReputation(acc, 3 * hl, base)).toBe(125);
    expect(effectiveReputation(acc, 4 * hl, base)).toBe(62);
    expect(effectiveReputation(acc, 10 * hl, base)).toBe(0);
    // The step falls on the multiple, not halfLifeBlocks after the write.
    expect(effectiveReputation(account(1_000, hl - 1), hl, base)).toBe(500);
    expect(effectiveReputation(undefined, 5, base)).toBe(0);
    expect(effectiveReputation(account(0, 3), 5, base)).toBe(0);
  });

  it('halves (floored) every halfLifeBlocks, never grows, and reaches 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (halfLifeBlocks, reputation, written, later) => {
          const p = withReputation({ halfLifeBlocks });
          const acc = account(reputation, written);
          const h = written + later;
          const now = effectiveReputation(acc, h, p);
          expect(Number.isSafeInteger(now) && now >= 0 && now <= reputation).toBe(true);
          expect(effectiveReputation(acc, written, p)).toBe(reputation);
          expect(effectiveReputation(acc, h + halfLifeBlocks, p)).toBe(Math.floor(now / 2));
          expect(effectiveReputation(acc, h + 1, p)).toBeLessThanOrEqual(now);
          // Constant between multiples of halfLifeBlocks.
          const stepStart = Math.max(written, h - (h % halfLifeBlocks));
          const stepEnd = h - (h % halfLifeBlocks) + halfLifeBlocks - 1;
          expect(effectiveReputation(acc, stepStart, p)).toBe(now);
          expect(effectiveReputation(acc, stepEnd, p)).toBe(now);
          // 53 halvings clear any safe integer.
          expect(effectiveReputation(acc, h + 53 * halfLifeBlocks, p)).toBe(0);
          expect(effectiveReputation(acc, h + 10_000 * halfLifeBlocks, p)).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same value whether decay is applied at once or re-based on the way', () => {
    // chain.ts rewrites reputation as effective(current) + delta at each touch: with delta 0,
    // touching an account must not change where its decay leads.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 6 }),
        (halfLifeBlocks, reputation, written, gaps) => {
          const p = withReputation({ halfLifeBlocks });
          const original = account(reputation, written);
          let touched = original;
          let h = written;
          for (const gap of gaps) {
            h += gap;
            touched = account(effectiveReputation(touched, h, p), h);
            expect(touched.reputation).toBe(effectiveReputation(original, h, p));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('reputationFactorBps', () => {
  const reputationParams = fc.record({
    newcomerFactorBps: fc.integer({ min: 1, max: 10_000 }),
    saturation: fc.integer({ min: 1, max: 1_000_000 }),
  });

  it('starts at newcomerFactorBps, grows monotonically and linearly, is 10000 from saturation', () => {
    fc.assert(
      fc.property(
        reputationParams,
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (r, a, b) => {
          const p = withReputation(r);
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const fLo = reputationFactorBps(lo, p);
          const fHi = reputationFactorBps(hi, p);
          expect(fLo).toBeLessThanOrEqual(fHi);
          expect(reputationFactorBps(0, p)).toBe(r.newcomerFactorBps);
          expect(reputationFactorBps(r.saturation, p)).toBe(10_000);
          expect(reputationFactorBps(r.saturation + hi, p)).toBe(10_000);
          expect(Number.isInteger(fLo)).toBe(true);
          expect(fLo).toBeGreaterThanOrEqual(r.newcomerFactorBps);
          expect(fHi).toBeLessThanOrEqual(10_000);
          // Linear up to rounding: within one bps of the straight line.
          const line =
            r.newcomerFactorBps +
            ((10_000 - r.newcomerFactorBps) * Math.min(lo, r.saturation)) / r.saturation;
          expect(fLo).toBeLessThanOrEqual(line);
          expect(fLo).toBeGreaterThan(line - 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('matches the default schedule', () => {
    // newcomer 25%, saturation 1000.
    expect(reputationFactorBps(0, base)).toBe(2_500);
    expect(reputationFactorBps(100, base)).toBe(3_250);
    expect(reputationFactorBps(500, base)).toBe(6_250);
    expect(reputationFactorBps(999, base)).toBe(9_992);
    expect(reputationFactorBps(1_000, base)).toBe(10_000);
    expect(reputationFactorBps(50_000, base)).toBe(10_000);
  });
});
