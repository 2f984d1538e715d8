/**
 * A cheap analytic domain for fast tests and demos: minimize the mean squared distance of a
 * 16-dimensional vector to a hidden, fixed target. Pure JS (no tfjs), deterministic, and its
 * evaluation does not depend on the seed, so votes agree to float precision.
 */
import type { DomainPlugin, OptimizeBudget, OptimizeResult } from '../core/domain';
import { SeededRandom } from '../core/random';
import type { DomainDescriptor } from '../core/schemas';

const DIMENSIONS = 16;
const TARGET_SEED = `d0${'00'.repeat(31)}`;

const target: Float32Array = (() => {
  const rng = new SeededRandom(TARGET_SEED);
  return Float32Array.from({ length: DIMENSIONS }, () => rng.next() * 4 - 2);
})();

function meanSquaredDistance(params: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < DIMENSIONS; i++) {
    const d = (params[i] as number) - (target[i] as number);
    sum += d * d;
  }
  return sum / DIMENSIONS;
}

const initial = new Float32Array(DIMENSIONS);

export const quadraticDescriptor: DomainDescriptor = {
  id: 'quadratic-16',
  name: 'Shifted quadratic (16-D)',
  description: 'Minimize the mean squared distance to a hidden 16-D point. For tests and demos.',
  metric: 'msd',
  direction: 'minimize',
  weight: 1,
  tolerance: 1e-6,
  initialBest: meanSquaredDistance(initial),
  paramCount: DIMENSIONS,
};

export const quadraticDomain: DomainPlugin<number[], number> = {
  descriptor: quadraticDescriptor,
  initialParams: () => initial.slice(),

  /** Noisy gradient descent: `steps` steps of size 0.05 with seeded gradient noise. */
  async optimize(best: Float32Array, budget: OptimizeBudget): Promise<OptimizeResult> {
    const rng = new SeededRandom(budget.seed);
    const params = best.slice();
    for (let step = 0; step < budget.steps; step++) {
      if (budget.signal?.aborted) throw budget.signal.reason ?? new Error('aborted');
      await budget.pace?.();
      for (let i = 0; i < DIMENSIONS; i++) {
        const gradient = 2 * ((params[i] as number) - (target[i] as number)) + rng.normal() * 0.5;
        params[i] = (params[i] as number) - 0.05 * gradient;
      }
      budget.onProgress?.((step + 1) / budget.steps);
    }
    return { params, metric: meanSquaredDistance(params) };
  },

  async evaluate(params: Float32Array): Promise<number> {
    if (params.length !== DIMENSIONS) throw new Error(`expected ${DIMENSIONS} parameters`);
    return meanSquaredDistance(params);
  },

  /** Random query points (the answer is their distance to the model's point). */
  examples(count) {
    const rng = new SeededRandom(`e0${'00'.repeat(31)}`);
    return Array.from({ length: count }, (_, i) => ({
      label: `Random point ${i + 1}`,
      input: Array.from({ length: DIMENSIONS }, () => Math.round((rng.next() * 4 - 2) * 100) / 100),
    }));
  },

  /** Distance of the model to a query point: a toy "inference". */
  async infer(params: Float32Array, input: number[]): Promise<number> {
    if (input.length !== DIMENSIONS) throw new Error(`expected ${DIMENSIONS} inputs`);
    let sum = 0;
    for (let i = 0; i < DIMENSIONS; i++) sum += ((params[i] as number) - (input[i] as number)) ** 2;
    return sum / DIMENSIONS;
  },
};
