/**
 * Mackey–Glass forecasting: a 16-32-32-1 tanh MLP (tfjs) reads 16 past samples of a chaotic
 * Mackey–Glass series and predicts the next sample.
 *
 *   dx/dt = β·x(t−τ) / (1 + x(t−τ)^n) − γ·x(t),   τ = 17, β = 0.2, γ = 0.1, n = 10
 *
 * integrated by Euler with h = 0.1 (10 sub-steps per time unit, the delay is exactly 170
 * sub-steps) and sampled every 3 time units, so a window spans 45 time units (> 2τ: the model
 * sees the delayed state that drives the dynamics) and "next" is 3 time units ahead. Each
 * trajectory starts from a random history (uniform in [0.5, 1.3], drawn from the seed) and
 * discards a 500-time-unit warm-up, so every seed gives different stretches of the attractor.
 *
 * The generator uses only +, −, ×, ÷ on doubles (x^10 by repeated squaring, no Math.pow), so a
 * seed yields bit-identical data in every JS engine, even though the system is chaotic.
 *
 * Values are normalized with fixed constants, (x − 0.93) / 0.23 (the attractor's mean and
 * standard deviation, measured over 20,000 samples); the metric is the MSE in these units.
 *
 * - optimize(best, budget) trains from `best` on 4,096 windows generated from budget.seed
 *   (budget.steps Adam steps, batch 64) and claims its MSE on evaluation data from a seed
 *   derived from budget.seed.
 * - evaluate(params, seed) is the MSE on 16,384 windows (16 trajectories × 1,024 windows with a
 *   stride of 2 samples) generated from `seed`: data the optimizer could not have seen.
 * - infer(params, { window }) takes 16 raw (unnormalized) samples and returns { next }.
 */
import * as v from 'valibot';
import type { DomainPlugin, OptimizeBudget, OptimizeResult } from '../core/domain';
import { type Hash, hashTagged } from '../core/hash';
import { SeededRandom } from '../core/random';
import type { DomainDescriptor } from '../core/schemas';
import {
  chainMetric,
  type Dataset,
  type MlpSpec,
  mlpInitParams,
  mlpMse,
  mlpParamCount,
  mlpPredict,
  mlpTrain,
} from './tfjs/mlp';

export const MACKEY_GLASS = {
  tau: 17,
  beta: 0.2,
  gamma: 0.1,
  /** Euler sub-steps per time unit (h = 0.1). */
  substeps: 10,
  /** Time units between two samples of the series. */
  sampleInterval: 3,
  /** Time units discarded at the start of every trajectory. */
  warmup: 500,
  window: 16,
  center: 0.93,
  scale: 0.23,
} as const;

const DELAY_STEPS = MACKEY_GLASS.tau * MACKEY_GLASS.substeps;
const SAMPLE_STEPS = MACKEY_GLASS.sampleInterval * MACKEY_GLASS.substeps;
const WARMUP_STEPS = MACKEY_GLASS.warmup * MACKEY_GLASS.substeps;
const H = 1 / MACKEY_GLASS.substeps;
const WINDOW = MACKEY_GLASS.window;

const EVAL = { trajectories: 16, windowsPerTrajectory: 1024, stride: 2 } as const;
const TRAIN = { trajectories: 16, windowsPerTrajectory: 256, stride: 1 } as const;
const BATCH_SIZE = 64;
const LEARNING_RATE = 0.01;

export const mackeyGlassModel: MlpSpec = { sizes: [WINDOW, 32, 32, 1], activation: 'tanh' };
const PARAM_COUNT = mlpParamCount(mackeyGlassModel.sizes);
const INIT_SEED = hashTagged('doin/mackey-glass/init', 1);
/** initialBest is evaluate(initialParams(), INITIAL_BEST_SEED). */
export const MACKEY_GLASS_INITIAL_BEST_SEED = hashTagged('doin/mackey-glass/initial-best', 1);

/**
 * One trajectory: `samples` values of the series (raw units), one every sampleInterval time
 * units after the warm-up, from a random initial history drawn from `rng`.
 */
export function mackeyGlassTrajectory(rng: SeededRandom, samples: number): Float64Array {
  const steps = WARMUP_STEPS + (samples - 1) * SAMPLE_STEPS;
  const x = new Float64Array(DELAY_STEPS + 1 + steps);
  for (let i = 0; i <= DELAY_STEPS; i++) x[i] = 0.5 + 0.8 * rng.next();
  const { beta, gamma } = MACKEY_GLASS;
  for (let k = DELAY_STEPS; k < DELAY_STEPS + steps; k++) {
    const delayed = x[k - DELAY_STEPS] as number;
    const p2 = delayed * delayed;
    const p4 = p2 * p2;
    const p8 = p4 * p4;
    const now = x[k] as number;
    x[k + 1] = now + H * ((beta * delayed) / (1 + p8 * p2) - gamma * now);
  }
  const out = new Float64Array(samples);
  for (let s = 0; s < samples; s++)
    out[s] = x[DELAY_STEPS + WARMUP_STEPS + s * SAMPLE_STEPS] as number;
  return out;
}

const normalize = (value: number) => (value - MACKEY_GLASS.center) / MACKEY_GLASS.scale;
const denormalize = (value: number) => value * MACKEY_GLASS.scale + MACKEY_GLASS.center;

/**
 * Windows over raw series (each at least WINDOW + 1 long): inputs are WINDOW consecutive
 * samples, the target is the sample after them; windows start every `stride` samples.
 */
export function windowsFromSeries(series: readonly ArrayLike<number>[], stride = 1): Dataset {
  let count = 0;
  for (const s of series) {
    if (s.length < WINDOW + 1) throw new Error(`a series needs at least ${WINDOW + 1} values`);
    count += Math.floor((s.length - WINDOW - 1) / stride) + 1;
  }
  const x = new Float32Array(count * WINDOW);
  const y = new Float32Array(count);
  let row = 0;
  for (const s of series) {
    for (let start = 0; start + WINDOW < s.length; start += stride, row++) {
      for (let i = 0; i < WINDOW; i++) x[row * WINDOW + i] = normalize(s[start + i] as number);
      y[row] = normalize(s[start + WINDOW] as number);
    }
  }
  return { x, y, count };
}

/** The windows a seed stands for: `trajectories` independent trajectories, fixed shape. */
export function mackeyGlassWindows(
  seed: Hash,
  shape: { trajectories: number; windowsPerTrajectory: number; stride: number },
): Dataset {
  const rng = new SeededRandom(seed);
  const samples = (shape.windowsPerTrajectory - 1) * shape.stride + WINDOW + 1;
  const series = Array.from({ length: shape.trajectories }, () =>
    mackeyGlassTrajectory(rng, samples),
  );
  return windowsFromSeries(series, shape.stride);
}

function checkParams(params: Float32Array): void {
  if (!(params instanceof Float32Array) || params.length !== PARAM_COUNT) {
    throw new Error(`mackey-glass expects ${PARAM_COUNT} float32 parameters`);
  }
}

/** Local training data (see localDataset.ts): one or more raw series in the domain's units. */
export interface MackeyGlassTrainingData {
  readonly series: readonly ArrayLike<number>[];
}

async function evaluate(params: Float32Array, seed: Hash): Promise<number> {
  checkParams(params);
  return chainMetric(await mlpMse(mackeyGlassModel, params, mackeyGlassWindows(seed, EVAL)));
}

async function train(
  best: Float32Array,
  budget: OptimizeBudget,
  data: Dataset,
): Promise<OptimizeResult> {
  checkParams(best);
  const params = await mlpTrain(mackeyGlassModel, best, data, {
    steps: budget.steps,
    batchSize: BATCH_SIZE,
    learningRate: LEARNING_RATE,
    seed: hashTagged('doin/mackey-glass/batches', budget.seed),
    signal: budget.signal,
    pace: budget.pace,
    onProgress: budget.onProgress,
  });
  // The claim is measured like a vote, on public data the training never saw.
  const metric = await evaluate(params, hashTagged('doin/mackey-glass/claim', budget.seed));
  return { params, metric };
}

const InputSchema = v.object({
  window: v.pipe(
    v.array(
      v.pipe(
        v.number('window values must be finite numbers'),
        v.finite('window values must be finite numbers'),
      ),
    ),
    v.length(WINDOW, `window must hold exactly ${WINDOW} numbers`),
  ),
});
export type MackeyGlassInput = v.InferOutput<typeof InputSchema>;
export interface MackeyGlassOutput {
  /** The forecast for the sample after the window, in the window's (raw) units. */
  readonly next: number;
}

/**
 * Numbers behind the descriptor, measured in Node with tfjs 4.22 by tests/unit/domains.tfjs.test.ts
 * (DOIN_MEASURE=1 prints them; the regular run re-checks initialBest and the spread):
 * - initialBest = evaluate(initialParams(), MACKEY_GLASS_INITIAL_BEST_SEED): 0.9488938020845674
 *   on cpu, 0.9488938021934141 on wasm; the literal 0.9488938 is within 3e-9 of both.
 * - tolerance 0.15: evaluate(sameParams, seed_i) over 20 evaluator seeds deviates from their
 *   median by at most 2.3e-3 (initial model) and 1.7e-2 … 4.3e-2 for models trained 500 … 5,000
 *   steps (MSE 5e-4 … 1.9e-5; the better the model, the heavier the tail of its errors). Doubling
 *   the windows to 32,768 did not shrink that maximum (4.1e-2), so it stays at 16,384.
 *   0.15 ≥ 3.5× the largest deviation seen: honest votes agree with margin. cpu vs wasm differ
 *   by at most 8.5e-7 relative. The tolerance is also the smallest relative improvement that
 *   earns an increment (a candidate must beat the best by > 15%).
 * - weight 1: the quadratic domain offers 0.92 of total improvement at weight 1 (initialBest
 *   0.92 → 0); here the metric falls from 0.95 to ≈ 2e-5 within ~5,000 steps, the same total.
 */
export const mackeyGlassDescriptor: DomainDescriptor = {
  id: 'mackey-glass',
  name: 'Mackey–Glass forecaster',
  description:
    'Predict the next sample of a chaotic Mackey–Glass series (tau 17, sampled every 3 time units) from the 16 before it: a 16-32-32-1 MLP. Metric: MSE on normalized values over 16,384 windows from the evaluator seed.',
  metric: 'mse',
  direction: 'minimize',
  weight: 1,
  tolerance: 0.15,
  initialBest: 0.9488938,
  paramCount: PARAM_COUNT,
};

export const mackeyGlassDomain: DomainPlugin<MackeyGlassInput, MackeyGlassOutput> & {
  /** optimize on caller-provided (local) series; evaluation stays on seeded public data. */
  optimizeOn(
    best: Float32Array,
    budget: OptimizeBudget,
    data: MackeyGlassTrainingData,
  ): Promise<OptimizeResult>;
} = {
  descriptor: mackeyGlassDescriptor,
  initialParams: () => mlpInitParams(mackeyGlassModel.sizes, INIT_SEED, 0.1),

  optimize(best, budget) {
    return train(
      best,
      budget,
      mackeyGlassWindows(hashTagged('doin/mackey-glass/train', budget.seed), TRAIN),
    );
  },

  optimizeOn(best, budget, data) {
    return train(best, budget, windowsFromSeries(data.series));
  },

  evaluate,

  async infer(params, input) {
    checkParams(params);
    const parsed = v.safeParse(InputSchema, input);
    if (!parsed.success) {
      throw new Error(`mackey-glass input: ${parsed.issues[0].message}`);
    }
    const x = Float32Array.from(parsed.output.window, normalize);
    const [prediction] = await mlpPredict(mackeyGlassModel, params, x, 1);
    return { next: denormalize(prediction as number) };
  },

  /** Stretches of fresh trajectories: the first 16 samples are the input, the rest to compare. */
  examples(count) {
    const rng = new SeededRandom(hashTagged('doin/mackey-glass/examples', 1));
    return Array.from({ length: count }, (_, i) => {
      const series = Array.from(mackeyGlassTrajectory(rng, EXAMPLE_SAMPLES));
      return {
        label: `Trajectory ${i + 1}`,
        input: { window: series.slice(0, WINDOW) },
        expected: { next: series[WINDOW] },
        series,
      };
    });
  },
};

/** Samples per playground example: the window and 48 more to draw the forecast against. */
const EXAMPLE_SAMPLES = WINDOW + 48;
