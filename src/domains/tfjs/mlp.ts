/**
 * A tiny multilayer perceptron on ONE flat Float32Array of parameters (the content-addressed
 * blob), built from tfjs-core ops only. The runtime picks and initializes the backend before any
 * of this runs; nothing here registers a backend or touches the DOM.
 *
 * Layout of the flat parameters, layer by layer: the weight matrix [in, out] row-major, then the
 * bias [out]. Hidden layers use the spec's activation; the output layer is linear.
 *
 * Training is Adam (tfjs-core's AdamOptimizer, applyGradients) on a tf.variable holding the flat
 * parameters; the gradient comes from an explicit backward pass (see mlpLossAndGradient).
 *
 * Every tensor is created inside tf.tidy or disposed in a finally block: optimize, evaluate and
 * infer leave tf.memory().numTensors unchanged, even when cancelled.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Hash } from '../../core/hash';
import { SeededRandom } from '../../core/random';

export interface MlpSpec {
  /** Layer widths, input first, output last: [16, 32, 32, 1]. */
  readonly sizes: readonly number[];
  readonly activation: 'tanh' | 'relu';
}

/** Rows of inputs and targets, row-major: x is count × sizes[0], y is count × sizes[last]. */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
}

export interface TrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  /** Peak Adam learning rate (see {@link learningRateAt} for the schedule). */
  readonly learningRate: number;
  /** L2 penalty λ·‖θ‖² added to the loss (0 or absent: none). */
  readonly weightDecay?: number;
  /** Seeds the choice of mini-batches. */
  readonly seed: Hash;
  readonly signal?: AbortSignal;
  /** Awaited once per step, before the step (duty cycle and cancellation). */
  readonly pace?: () => Promise<void>;
  readonly onProgress?: (fraction: number) => void;
}

function layerShapes(sizes: readonly number[]): Array<[number, number]> {
  if (sizes.length < 2) throw new Error('an MLP needs at least an input and an output size');
  for (const s of sizes) {
    if (!Number.isSafeInteger(s) || s < 1) throw new Error(`invalid layer size ${s}`);
  }
  return sizes.slice(1).map((out, i) => [sizes[i] as number, out]);
}

export function mlpParamCount(sizes: readonly number[]): number {
  return layerShapes(sizes).reduce((n, [fanIn, fanOut]) => n + fanIn * fanOut + fanOut, 0);
}

/**
 * Deterministic initial parameters: Glorot-uniform weights, zero biases; the output layer's
 * weights are scaled by `outputScale` (small values start the model near a constant prediction).
 * Uses only SeededRandom.next() and float arithmetic, so it is identical on every platform.
 */
export function mlpInitParams(sizes: readonly number[], seed: Hash, outputScale = 1): Float32Array {
  const shapes = layerShapes(sizes);
  const rng = new SeededRandom(seed);
  const params = new Float32Array(mlpParamCount(sizes));
  let offset = 0;
  shapes.forEach(([fanIn, fanOut], layer) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut)) * (layer === shapes.length - 1 ? outputScale : 1);
    for (let i = 0; i < fanIn * fanOut; i++) params[offset + i] = (rng.next() * 2 - 1) * limit;
    offset += fanIn * fanOut + fanOut; // biases stay 0
  });
  return params;
}

function checkParams(spec: MlpSpec, params: { readonly length: number } | tf.Tensor): void {
  const length = params instanceof tf.Tensor ? params.size : params.length;
  const expected = mlpParamCount(spec.sizes);
  if (length !== expected) {
    throw new Error(`expected ${expected} parameters, got ${length}`);
  }
}

/** Forward pass: x [n, in] → [n, out]. Call inside tf.tidy (intermediates are not disposed). */
export function mlpForward(spec: MlpSpec, params: tf.Tensor1D, x: tf.Tensor2D): tf.Tensor2D {
  checkParams(spec, params);
  let h: tf.Tensor2D = x;
  let offset = 0;
  const shapes = layerShapes(spec.sizes);
  shapes.forEach(([fanIn, fanOut], layer) => {
    const w = tf.reshape(tf.slice(params, offset, fanIn * fanOut), [fanIn, fanOut]) as tf.Tensor2D;
    offset += fanIn * fanOut;
    const b = tf.slice(params, offset, fanOut);
    offset += fanOut;
    const z = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    if (layer === shapes.length - 1) h = z;
    else h = spec.activation === 'tanh' ? tf.tanh(z) : tf.relu(z);
  });
  return h;
}

/**
 * MSE loss and its gradient with respect to the flat parameters, by an explicit backward pass.
 * tfjs-core's node bundle ships no gradient registry (the union package registers it), so
 * autodiff is not used: only forward ops run, on any backend, with no registration side effect.
 * Call inside tf.tidy.
 */
export function mlpLossAndGradient(
  spec: MlpSpec,
  params: tf.Tensor1D,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
): { loss: tf.Scalar; gradient: tf.Tensor1D } {
  checkParams(spec, params);
  const shapes = layerShapes(spec.sizes);
  const weights: tf.Tensor2D[] = [];
  const activations: tf.Tensor2D[] = [x];
  let offset = 0;
  shapes.forEach(([fanIn, fanOut], layer) => {
    const w = tf.reshape(tf.slice(params, offset, fanIn * fanOut), [fanIn, fanOut]) as tf.Tensor2D;
    offset += fanIn * fanOut;
    const b = tf.slice(params, offset, fanOut);
    offset += fanOut;
    weights.push(w);
    const z = tf.add(tf.matMul(activations[layer] as tf.Tensor2D, w), b) as tf.Tensor2D;
    if (layer === shapes.length - 1) activations.push(z);
    else activations.push(spec.activation === 'tanh' ? tf.tanh(z) : tf.relu(z));
  });
  const out = activations[shapes.length] as tf.Tensor2D;
  const diff = tf.sub(out, y);
  const loss = tf.mean(tf.square(diff)) as tf.Scalar;
  // d loss / d out = 2 (out - y) / (rows × outputs)
  let dz = tf.mul(diff, tf.scalar(2 / diff.size)) as tf.Tensor2D;
  const parts: tf.Tensor1D[] = [];
  for (let layer = shapes.length - 1; layer >= 0; layer--) {
    const input = activations[layer] as tf.Tensor2D;
    const db = tf.sum(dz, 0) as tf.Tensor1D;
    const dw = tf.reshape(tf.matMul(input, dz, true, false), [-1]) as tf.Tensor1D;
    parts.unshift(dw, db);
    if (layer > 0) {
      const dh = tf.matMul(dz, weights[layer] as tf.Tensor2D, false, true);
      // input is the previous layer's activation h: tanh' = 1 − h², relu' = [h > 0]
      const slope =
        spec.activation === 'tanh'
          ? tf.sub(tf.scalar(1), tf.square(input))
          : tf.cast(tf.greater(input, tf.scalar(0)), 'float32');
      dz = tf.mul(dh, slope) as tf.Tensor2D;
    }
  }
  return { loss, gradient: tf.concat(parts) as tf.Tensor1D };
}

function checkData(spec: MlpSpec, data: Dataset): void {
  const inputs = spec.sizes[0] as number;
  const outputs = spec.sizes[spec.sizes.length - 1] as number;
  if (!Number.isSafeInteger(data.count) || data.count < 1) throw new Error('dataset is empty');
  if (data.x.length !== data.count * inputs || data.y.length !== data.count * outputs) {
    throw new Error(`dataset shape mismatch: ${data.count} rows of ${inputs} → ${outputs}`);
  }
}

/** Predictions for `count` rows of x, in one batch. */
export async function mlpPredict(
  spec: MlpSpec,
  params: Float32Array,
  x: Float32Array,
  count: number,
): Promise<Float32Array> {
  checkParams(spec, params);
  const inputs = spec.sizes[0] as number;
  if (x.length !== count * inputs) throw new Error(`expected ${count} rows of ${inputs} inputs`);
  const out = tf.tidy(() => mlpForward(spec, tf.tensor1d(params), tf.tensor2d(x, [count, inputs])));
  try {
    return new Float32Array(await out.data());
  } finally {
    out.dispose();
  }
}

/**
 * Mean squared error over the whole dataset, evaluated in one batch. Predictions are read back
 * and the mean is taken in float64 in JS, so the reduction order does not depend on the backend.
 * Returns +Infinity when a prediction is not finite (see {@link chainMetric}).
 */
export async function mlpMse(spec: MlpSpec, params: Float32Array, data: Dataset): Promise<number> {
  checkData(spec, data);
  const predictions = await mlpPredict(spec, params, data.x, data.count);
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) {
    const d = (predictions[i] as number) - (data.y[i] as number);
    sum += d * d;
  }
  const mse = sum / predictions.length;
  return Number.isFinite(mse) ? mse : Number.POSITIVE_INFINITY;
}

/**
 * Learning rate of step `step` of `steps`: linear warm-up over the first 10% of the steps (at
 * most 50), then cosine decay to 10% of the peak. Each optimize call restarts Adam from fresh
 * moments on an already trained model; the warm-up keeps the first steps from kicking it out of
 * its basin, and the decay ends the call on a quiet, low-noise candidate.
 */
export function learningRateAt(peak: number, step: number, steps: number): number {
  const warmup = Math.max(1, Math.min(50, Math.ceil(steps / 10)));
  const ramp = Math.min(1, (step + 1) / warmup);
  const progress = steps > 1 ? step / (steps - 1) : 1;
  return peak * ramp * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
}

/** tf.train.adam's optimizer with a settable learning rate. */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}

/**
 * A metric the chain can carry: finite, and if integral then a safe integer (the canonical
 * encoding refuses larger integers, and every double ≥ 2^53 is one). Diverged parameters
 * (non-finite or astronomically large errors) get Number.MAX_SAFE_INTEGER, the worst score.
 */
export function chainMetric(value: number): number {
  return Number.isFinite(value) && value < Number.MAX_SAFE_INTEGER
    ? value
    : Number.MAX_SAFE_INTEGER;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

/**
 * `steps` steps of Adam on the MSE, from `params`, with mini-batches drawn (with replacement) by
 * a RNG seeded with `options.seed`. Returns the new flat parameters.
 */
export async function mlpTrain(
  spec: MlpSpec,
  params: Float32Array,
  data: Dataset,
  options: TrainOptions,
): Promise<Float32Array> {
  checkParams(spec, params);
  checkData(spec, data);
  const { steps, batchSize } = options;
  if (!Number.isSafeInteger(steps) || steps < 0) throw new Error(`invalid step count ${steps}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error('invalid batch size');
  const inputs = spec.sizes[0] as number;
  const outputs = spec.sizes[spec.sizes.length - 1] as number;
  const rng = new SeededRandom(options.seed);
  const batchX = new Float32Array(batchSize * inputs);
  const batchY = new Float32Array(batchSize * outputs);

  const initial = tf.tensor1d(params);
  const variable = tf.variable(initial, true);
  initial.dispose();
  const optimizer = new ScheduledAdam(options.learningRate, 0.9, 0.999);
  try {
    for (let step = 0; step < steps; step++) {
      throwIfAborted(options.signal);
      await options.pace?.();
      throwIfAborted(options.signal);
      for (let row = 0; row < batchSize; row++) {
        const pick = rng.int(data.count);
        batchX.set(data.x.subarray(pick * inputs, (pick + 1) * inputs), row * inputs);
        batchY.set(data.y.subarray(pick * outputs, (pick + 1) * outputs), row * outputs);
      }
      optimizer.setLearningRate(learningRateAt(options.learningRate, step, steps));
      tf.tidy(() => {
        const x = tf.tensor2d(batchX, [batchSize, inputs]);
        const y = tf.tensor2d(batchY, [batchSize, outputs]);
        const { gradient } = mlpLossAndGradient(spec, variable as tf.Tensor1D, x, y);
        const decay = options.weightDecay ?? 0;
        const total =
          decay > 0 ? tf.add(gradient, tf.mul(variable, tf.scalar(2 * decay))) : gradient;
        optimizer.applyGradients([{ name: variable.name, tensor: total }]);
      });
      options.onProgress?.((step + 1) / steps);
    }
    // A fresh, tightly packed copy: safe to transfer and to hash.
    return new Float32Array(await variable.data());
  } finally {
    optimizer.dispose();
    variable.dispose();
  }
}
