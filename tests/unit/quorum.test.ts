import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashTagged } from '../../src/core/hash';
import {
  assessVotes,
  evaluationSeed,
  median,
  QUORUM_OPENS_AFTER_TARGETS,
  type Quorum,
  quorumOpensAfterMs,
  selectQuorum,
  supermajority,
  withinTolerance,
} from '../../src/core/quorum';
import type { NetworkParams, RecentBlock, Vote } from '../../src/core/schemas';
import { testParams } from '../support/fixtures';

const hex64 = (n: number) => n.toString(16).padStart(64, '0');
const id = (tag: string, n: number) => hashTagged(`quorum-test/${tag}`, n);
const paramsWithSize = (size: number): NetworkParams =>
  testParams({ quorum: { ...testParams().quorum, size } });

/** A base block with `e` established evaluators and `n` newcomers (disjoint, sorted). */
const baseBlock = (e: number, n: number, hashSeed = 0): RecentBlock => ({
  hash: id('base', hashSeed),
  height: 5,
  timestamp: 1_000,
  evaluators: Array.from({ length: e }, (_, i) => hex64(0x1000 + i)).sort(),
  newcomers: Array.from({ length: n }, (_, i) => hex64(0x2000 + i)).sort(),
});

const scenario = fc.record({
  size: fc.integer({ min: 1, max: 16 }),
  established: fc.nat({ max: 24 }),
  newcomers: fc.nat({ max: 12 }),
  hashSeed: fc.nat(),
  commitSeed: fc.nat(),
  // Where the optimizer sits: one of the established, one of the newcomers, or outside.
  optimizerRole: fc.constantFrom('established', 'newcomer', 'outsider'),
  optimizerIndex: fc.nat(),
});

const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function setup(s: Scenario) {
  const base = baseBlock(s.established, s.newcomers, s.hashSeed);
  const pickFrom = (list: readonly string[]) =>
    list.length > 0 ? (list[s.optimizerIndex % list.length] as string) : hex64(0xdead);
  const optimizer =
    s.optimizerRole === 'established'
      ? pickFrom(base.evaluators)
      : s.optimizerRole === 'newcomer'
        ? pickFrom(base.newcomers)
        : hex64(0xbeef);
  return { base, optimizer, params: paramsWithSize(s.size), commitId: id('commit', s.commitSeed) };
}

describe('selectQuorum', () => {
  it('follows the mode, size, optimizer and newcomer-seat rules', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { base, optimizer, params, commitId } = setup(s);
        const K = s.size;
        const quorum = selectQuorum(base, commitId, optimizer, params);
        // Deterministic.
        expect(selectQuorum(base, commitId, optimizer, params)).toEqual(quorum);
        const established = base.evaluators.filter((x) => x !== optimizer);
        const newcomers = base.newcomers.filter((x) => x !== optimizer);
        const open = established.length < Math.ceil((2 * K) / 3);
        expect(quorum.mode).toBe(open ? 'open' : 'selected');
        if (quorum.mode === 'open') {
          expect(quorum.maxVotes).toBe(K);
          return;
        }
        const members = quorum.members;
        expect(members.length).toBeLessThanOrEqual(K);
        expect(new Set(members).size).toBe(members.length);
        expect([...members].sort()).toEqual(members);
        expect(members).not.toContain(optimizer);
        const fromEstablished = members.filter((m) => established.includes(m)).length;
        const fromNewcomers = members.filter((m) => newcomers.includes(m)).length;
        expect(fromEstablished + fromNewcomers).toBe(members.length);
        // Newcomers never hold more than K − ⌈2K/3⌉ seats; established members alone reach 2/3.
        expect(fromNewcomers).toBeLessThanOrEqual(K - Math.ceil((2 * K) / 3));
        expect(fromEstablished).toBeGreaterThanOrEqual(Math.ceil((2 * K) / 3));
        expect(fromEstablished).toBeGreaterThanOrEqual(supermajority(members.length));
        // As many seats as the rules allow are filled.
        const newcomerSeats = Math.min(K - Math.ceil((2 * K) / 3), newcomers.length);
        expect(fromNewcomers).toBe(newcomerSeats);
        expect(members.length).toBe(Math.min(K, established.length + newcomerSeats));
      }),
      { numRuns: 500 },
    );
  });

  it('opens after the chain stalls for more than QUORUM_OPENS_AFTER_TARGETS target times', () => {
    const params = paramsWithSize(3);
    const opensAfter = quorumOpensAfterMs(params);
    expect(opensAfter).toBe(QUORUM_OPENS_AFTER_TARGETS * params.targetBlockTimeMs);
    const base = baseBlock(12, 4);
    const usual = selectQuorum(base, id('c', 1), hex64(1), params);
    expect(usual.mode).toBe('selected');
    for (const stalled of [0, 1, opensAfter - 1, opensAfter]) {
      expect(selectQuorum(base, id('c', 1), hex64(1), params, stalled)).toEqual(usual);
    }
    for (const stalled of [opensAfter + 1, 10 * opensAfter]) {
      expect(selectQuorum(base, id('c', 1), hex64(1), params, stalled)).toEqual({
        mode: 'open',
        maxVotes: 3,
      });
    }
  });

  it('is open exactly at the ⌈2K/3⌉ boundary, counting established evaluators without the optimizer', () => {
    for (let K = 1; K <= 16; K++) {
      const params = paramsWithSize(K);
      const need = Math.ceil((2 * K) / 3);
      expect(supermajority(K)).toBe(need);
      const enough = baseBlock(need, 3);
      const short = baseBlock(need - 1, 30);
      expect(selectQuorum(enough, id('c', K), hex64(1), params).mode).toBe('selected');
      expect(selectQuorum(short, id('c', K), hex64(1), params).mode).toBe('open');
      // The optimizer's own seat does not count towards leaving bootstrap.
      const optimizer = enough.evaluators[0] as string;
      expect(selectQuorum(enough, id('c', K), optimizer, params).mode).toBe('open');
    }
  });

  it('spreads membership: over many commits every eligible evaluator serves, about evenly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 7 }),
        fc.integer({ min: 6, max: 16 }),
        fc.integer({ min: 0, max: 6 }),
        fc.nat(),
        (K, e, n, hashSeed) => {
          const base = baseBlock(e, n, hashSeed);
          const params = paramsWithSize(K);
          const count = new Map<string, number>();
          const commits = 600;
          const distinct = new Set<string>();
          for (let c = 0; c < commits; c++) {
            const q = selectQuorum(base, id('spread', c), hex64(0xbeef), params);
            if (q.mode !== 'selected') throw new Error('expected a selected quorum');
            distinct.add(q.members.join());
            for (const m of q.members) count.set(m, (count.get(m) ?? 0) + 1);
          }
          const newcomerSeats = Math.min(K - supermajority(K), n);
          const perEstablished = (commits * Math.min(K - newcomerSeats, e)) / e;
          for (const m of base.evaluators) {
            const got = count.get(m) ?? 0;
            expect(got, m).toBeGreaterThan(0);
            expect(got).toBeGreaterThan(perEstablished * 0.5);
            expect(got).toBeLessThan(perEstablished * 1.5);
          }
          for (const m of base.newcomers) {
            if (newcomerSeats > 0) expect(count.get(m) ?? 0, m).toBeGreaterThan(0);
            else expect(count.has(m)).toBe(false);
          }
          // Many different quorums, not a few rotating ones (up to what the sets allow).
          const establishedSeats = Math.min(K - newcomerSeats, e);
          const possible = choose(e, establishedSeats) * choose(n, newcomerSeats);
          expect(distinct.size).toBeGreaterThanOrEqual(Math.min(possible, 20));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('depends on the base block as well as the commit', () => {
    const params = paramsWithSize(5);
    const differs = Array.from({ length: 20 }, (_, i) => {
      const a = selectQuorum(baseBlock(12, 4, i), id('c', 0), hex64(1), params);
      const b = selectQuorum(baseBlock(12, 4, i + 1000), id('c', 0), hex64(1), params);
      return JSON.stringify(a) !== JSON.stringify(b);
    });
    expect(differs.filter(Boolean).length).toBeGreaterThan(10);
  });
});

// ---- votes ---------------------------------------------------------------------------------

const vote = (evaluator: string, metric: number): Vote => ({
  commitId: hex64(1),
  paramsHash: hex64(2),
  evaluator,
  metric,
  signature: '0'.repeat(128),
});

/** Median by peeling off the smallest and largest value until one or two remain. */
function referenceMedian(values: readonly number[]): number {
  const rest = [...values];
  while (rest.length > 2) {
    rest.splice(rest.indexOf(Math.min(...rest)), 1);
    rest.splice(rest.indexOf(Math.max(...rest)), 1);
  }
  return rest.length === 1 ? (rest[0] as number) : ((rest[0] as number) + (rest[1] as number)) / 2;
}

describe('median', () => {
  it('matches a reference on arbitrary lists and ignores input order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 15 }),
        (values) => {
          expect(median(values)).toBe(referenceMedian(values) + 0); // -0 is reported as 0
          expect(median([...values].reverse())).toBe(median(values));
        },
      ),
      { numRuns: 500 },
    );
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([-5])).toBe(-5);
    expect(Object.is(median([0, -0]), 0)).toBe(true);
    expect(Object.is(median([-0, 0]), 0)).toBe(true);
    // Numeric, not lexicographic, order.
    expect(median([10, 9, 100])).toBe(10);
  });
});

describe('assessVotes', () => {
  it('needs ⌈2/3⌉ of the whole selected quorum to agree: silent members count against', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.nat(),
        fc.nat(),
        fc.double({ min: 0.1, max: 1_000, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.2, noNaN: true }),
        (K, h0, l0, M, tolerance) => {
          const honest = 1 + (h0 % K);
          const liars = l0 % (K - honest + 1);
          const members = Array.from({ length: K }, (_, i) => hex64(0x100 + i));
          const quorum: Quorum = { mode: 'selected', members };
          const votes = [
            ...members
              .slice(0, honest)
              .map((m, i) => vote(m, M * (1 + ((i % 3) - 1) * tolerance * 0.2))),
            ...members
              .slice(honest, honest + liars)
              .map((m, i) => vote(m, M * (i % 2 === 0 ? 3 + tolerance : 0.2))),
          ];
          const a = assessVotes(votes, quorum, tolerance);
          expect(a.median).toBe(referenceMedian(votes.map((v) => v.metric)));
          if (honest > liars) {
            // The honest majority sets the median; liars are outliers.
            expect(a.agreeing).toEqual(members.slice(0, honest));
            expect(a.outliers).toEqual(members.slice(honest, honest + liars));
            expect(a.agreed).toBe(honest >= Math.ceil((2 * K) / 3));
          }
          // Never agreed without ⌈2K/3⌉ agreeing votes, whatever the votes were.
          if (a.agreed) expect(a.agreeing.length).toBeGreaterThanOrEqual(Math.ceil((2 * K) / 3));
          // Every vote is classified exactly once.
          expect([...a.agreeing, ...a.outliers].sort()).toEqual(
            votes.map((v) => v.evaluator).sort(),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('in open mode counts only the votes cast', () => {
    const open: Quorum = { mode: 'open', maxVotes: 3 };
    expect(assessVotes([vote(hex64(1), 0.5)], open, 0.01).agreed).toBe(true);
    expect(assessVotes([], open, 0.01).agreed).toBe(false);
    const split = [vote(hex64(1), 0.5), vote(hex64(2), 0.9)];
    // Median 0.7: neither is within 1% of it.
    expect(assessVotes(split, open, 0.01)).toMatchObject({ agreed: false, median: 0.7 });
    const two = [vote(hex64(1), 0.5), vote(hex64(2), 0.5), vote(hex64(3), 0.9)];
    expect(assessVotes(two, open, 0.01)).toMatchObject({
      agreed: true,
      agreeing: [hex64(1), hex64(2)],
      outliers: [hex64(3)],
    });
    // The same two agreeing votes in a selected quorum of 4 are not enough (⌈8/3⌉ = 3).
    const selected: Quorum = { mode: 'selected', members: [1, 2, 3, 4].map(hex64) };
    expect(assessVotes(two, selected, 0.01).agreed).toBe(false);
    // ...but are in a selected quorum of 3.
    const three: Quorum = { mode: 'selected', members: [1, 2, 3].map(hex64) };
    expect(assessVotes(two, three, 0.01).agreed).toBe(true);
  });

  it('measures tolerance relative to the median, with an absolute floor near zero', () => {
    expect(withinTolerance(101, 100, 0.01)).toBe(true);
    expect(withinTolerance(101.5, 100, 0.01)).toBe(false);
    expect(withinTolerance(-99, -100, 0.01)).toBe(true);
    expect(withinTolerance(1e-12, 0, 0.01)).toBe(true);
    expect(withinTolerance(1e-9, 0, 0.01)).toBe(false);
  });
});

describe('evaluationSeed', () => {
  it('differs per evaluator, per commit and per base, and is stable', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 1_000 }), { minLength: 2, maxLength: 4 }),
        fc.uniqueArray(fc.nat({ max: 1_000 }), { minLength: 2, maxLength: 4 }),
        fc.uniqueArray(fc.nat({ max: 1_000 }), { minLength: 1, maxLength: 3 }),
        (commits, evaluators, bases) => {
          const seeds = new Set<string>();
          for (const c of commits)
            for (const e of evaluators)
              for (const b of bases) {
                const seed = evaluationSeed(id('commit', c), hex64(e), id('base', b));
                expect(seed).toMatch(/^[0-9a-f]{64}$/);
                expect(evaluationSeed(id('commit', c), hex64(e), id('base', b))).toBe(seed);
                seeds.add(seed);
              }
          expect(seeds.size).toBe(commits.length * evaluators.length * bases.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
