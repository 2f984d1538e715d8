/**
 * The compute worker's engine, driven directly in Node (no Worker): backend choice, optimize with
 * progress and cancellation, evaluate, infer, duty cycle, and refusal of bad input without any
 * change of state. Uses the quadratic domain (plain JS, fast) on real tfjs backends.
 */
import { describe, expect, it } from 'vitest';
import { paramsHash } from '../../src/core/hash';
import { parse } from '../../src/core/schemas';
import { quadraticDomain } from '../../src/domains/quadratic';
import { connectCompute, paramsHashAsync } from '../../src/workers/computeClient';
import { type ComputeEnvironment, createComputeEngine } from '../../src/workers/computeEngine';
import {
  type ComputeApi,
  ComputeStatusSchema,
  OptimizeJobResultSchema,
  type ProgressEvent,
} from '../../src/workers/computeProtocol';
import { isAbortError } from '../../src/workers/throttle';

const SEED = `5e${'00'.repeat(31)}`;
const ENV: ComputeEnvironment = {
  measure: { workloadMs: 40, matmulMs: 20, matmulSize: 256 },
  progressIntervalMs: 0,
};
const DOMAIN = quadraticDomain.descriptor.id;

async function ready(backend: 'cpu' | 'wasm' | 'auto' = 'cpu') {
  const engine = createComputeEngine(ENV);
  const status = await engine.init({ domainId: DOMAIN, backend, candidates: ['wasm', 'cpu'] });
  return { engine, status };
}

function start() {
  const params = quadraticDomain.initialParams();
  return { params, paramsHash: paramsHash(params) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('compute engine: init', () => {
  it('measures in auto mode, reports the figures and a choice to remember', async () => {
    const { engine, status } = await ready('auto');
    expect(parse(ComputeStatusSchema, status).ok).toBe(true);
    expect(status).toMatchObject({ ready: true, source: 'measured', basis: 'matmul' });
    expect(status.domain?.id).toBe(DOMAIN);
    expect(status.measurements.map((m) => m.backend)).toEqual(['wasm', 'cpu']);
    expect(status.measurements.every((m) => m.available && (m.matmulGflops as number) > 0)).toBe(
      true,
    );
    const best = [...status.measurements].sort(
      (a, b) => (b.matmulGflops as number) - (a.matmulGflops as number),
    )[0];
    expect(status.backend).toBe(best?.backend);
    expect(status.choice).toMatchObject({ backend: status.backend, domainId: DOMAIN });
    expect(status.choice?.deviceKey).toBe(status.device?.key);
    expect(status.wasm).toMatchObject({ simd: true, multithread: false });
    await expect(engine.init({ domainId: DOMAIN })).rejects.toThrow(/already initialised/);
  });

  it('uses a remembered choice, and honours an override', async () => {
    const first = await ready('auto');
    const choice = first.status.choice;
    expect(choice).not.toBeNull();
    const engine = createComputeEngine(ENV);
    const status = await engine.init({ domainId: DOMAIN, remembered: choice });
    expect(status).toMatchObject({ source: 'remembered', backend: choice?.backend, choice: null });
    expect(status.measurements).toEqual(choice?.measurements);

    const { status: overridden } = await ready('cpu');
    expect(overridden).toMatchObject({ source: 'override', backend: 'cpu', measurements: [] });
  });

  it('refuses unknown domains, invalid backends and unavailable overrides, and stays usable', async () => {
    const engine = createComputeEngine(ENV);
    await expect(engine.init({ domainId: 'no-such-domain' })).rejects.toThrow(
      /unknown domain no-such-domain \(known: .*quadratic-16/,
    );
    await expect(
      engine.init({ domainId: DOMAIN, backend: 'gpu' as unknown as 'cpu' }),
    ).rejects.toThrow(
      /invalid init options: backend: expected one of auto, webgpu, webgl, wasm, cpu/,
    );
    await expect(engine.init({ domainId: DOMAIN, backend: 'webgl' })).rejects.toThrow(
      /backend webgl was requested but is not available here/,
    );
    await expect(engine.init({ domainId: 'Bad Id' })).rejects.toThrow(
      /invalid init options: domainId/,
    );
    await expect(engine.init({ domainId: DOMAIN, dutyCycle: 0 })).rejects.toThrow(/duty cycle/);
    expect((await engine.status()).ready).toBe(false);
    await expect(engine.optimize({ ...start(), budget: { steps: 1, seed: SEED } })).rejects.toThrow(
      /not initialised/,
    );
    const status = await engine.init({ domainId: DOMAIN, backend: 'cpu' });
    expect(status.ready).toBe(true);
  });
});

describe('compute engine: jobs', () => {
  it('optimizes: a valid result whose hash matches, an improved metric, and progress', async () => {
    const { engine } = await ready();
    const events: ProgressEvent[] = [];
    const base = start();
    const result = await engine.optimize({ ...base, budget: { steps: 40, seed: SEED } }, (e) =>
      events.push(e),
    );
    expect(parse(OptimizeJobResultSchema, result).ok).toBe(true);
    expect(result.paramsHash).toBe(paramsHash(result.params));
    expect(result.baseHash).toBe(base.paramsHash);
    expect(result.params.length).toBe(16);
    expect(result.params.byteLength).toBe(result.params.buffer.byteLength); // transferable as is
    expect(result.metric).toBeLessThan(quadraticDomain.descriptor.initialBest);
    expect(result.metric).toBeCloseTo(await quadraticDomain.evaluate(result.params, SEED), 6);
    expect(result).toMatchObject({ backend: 'cpu', steps: 40, domainId: DOMAIN });
    expect(events.length).toBeGreaterThan(1);
    expect(events.map((e) => e.fraction)).toEqual([...events.map((e) => e.fraction)].sort());
    expect(events.at(-1)?.fraction).toBe(1);
    expect(events.every((e) => e.jobId === result.jobId && e.dutyCycle === 1)).toBe(true);
    // Same inputs, same seed: the same candidate.
    const again = await engine.optimize({ ...start(), budget: { steps: 40, seed: SEED } });
    expect(again.paramsHash).toBe(result.paramsHash);
    const status = await engine.status();
    expect(status.job).toBeNull();
    expect(status.jobsDone).toBe(2);
  });

  it('cancels a running job with an AbortError and stays usable', async () => {
    const { engine } = await ready();
    let cancelled: Promise<boolean> | undefined;
    const events: ProgressEvent[] = [];
    const job = engine.optimize({ ...start(), budget: { steps: 1_000_000, seed: SEED } }, (e) => {
      events.push(e);
      if (!cancelled && e.fraction > 0) cancelled = engine.cancel();
    });
    const err = await rejection(job);
    expect(isAbortError(err)).toBe(true);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).message).toMatch(/optimize job \d+ was cancelled/);
    expect(await cancelled).toBe(true);
    expect(events.length).toBeLessThan(10); // stopped right away, not after a million steps
    const status = await engine.status();
    expect(status.job).toBeNull();
    expect(await engine.cancel()).toBe(false);
    const next = await engine.optimize({ ...start(), budget: { steps: 5, seed: SEED } });
    expect(next.paramsHash).toBe(paramsHash(next.params));
  });

  it('runs one job at a time', async () => {
    const { engine } = await ready();
    const first = engine.optimize({ ...start(), budget: { steps: 200_000, seed: SEED } });
    await expect(engine.optimize({ ...start(), budget: { steps: 1, seed: SEED } })).rejects.toThrow(
      /busy: optimize job \d+ is running/,
    );
    await expect(engine.evaluate({ ...start(), seed: SEED })).rejects.toThrow(/busy/);
    expect((await engine.status()).job?.kind).toBe('optimize');
    await engine.cancel();
    expect(isAbortError(await rejection(first))).toBe(true);
  });

  it('refuses bad parameters with a clear error and no change of state', async () => {
    const { engine } = await ready();
    const before = await engine.status();
    const short = new Float32Array(15);
    const budget = { steps: 3, seed: SEED };
    await expect(
      engine.optimize({ params: short, paramsHash: paramsHash(short), budget }),
    ).rejects.toThrow('wrong parameter count for quadratic-16: expected 16, got 15');
    const wrong = start();
    await expect(
      engine.optimize({ params: wrong.params, paramsHash: 'f'.repeat(64), budget }),
    ).rejects.toThrow(
      /the parameters do not match paramsHash: their sha256 is [0-9a-f]{64}, not f{64}/,
    );
    await expect(
      engine.optimize({
        params: [0, 1] as unknown as Float32Array,
        paramsHash: wrong.paramsHash,
        budget,
      }),
    ).rejects.toThrow(/invalid optimize arguments: params: expected a Float32Array/);
    await expect(engine.optimize({ ...start(), budget: { steps: 0, seed: SEED } })).rejects.toThrow(
      /invalid optimize arguments: budget.steps/,
    );
    await expect(
      engine.optimize({ ...start(), budget: { steps: 1, seed: 'nope' } }),
    ).rejects.toThrow(/invalid optimize arguments: budget.seed/);
    await expect(
      engine.optimize({ ...start(), budget, extra: 1 } as unknown as Parameters<
        ComputeApi['optimize']
      >[0]),
    ).rejects.toThrow(/invalid optimize arguments/);
    await expect(
      engine.evaluate({ params: short, paramsHash: paramsHash(short), seed: SEED }),
    ).rejects.toThrow(/wrong parameter count/);
    await expect(
      engine.infer({ ...wrong, paramsHash: '0'.repeat(64), input: new Array(16).fill(0) }),
    ).rejects.toThrow(/do not match paramsHash/);
    await expect(engine.setDutyCycle(0)).rejects.toThrow(
      /invalid duty cycle: the duty cycle must be in \(0, 1\]/,
    );
    await expect(engine.setDutyCycle(2)).rejects.toThrow(/duty cycle/);
    expect(await engine.status()).toEqual(before);
  });

  it('evaluates, infers and sets the duty cycle', async () => {
    const { engine } = await ready();
    const base = start();
    const evaluated = await engine.evaluate({ ...base, seed: SEED });
    expect(evaluated).toMatchObject({
      domainId: DOMAIN,
      paramsHash: base.paramsHash,
      seed: SEED,
      metric: quadraticDomain.descriptor.initialBest,
    });
    const inferred = await engine.infer({ ...base, input: new Array(16).fill(0) });
    expect(inferred.output).toBe(0);
    expect(await engine.setDutyCycle(0.5)).toBe(0.5);
    expect((await engine.status()).dutyCycle).toBe(0.5);
    const result = await engine.optimize({ ...base, budget: { steps: 3, seed: SEED } });
    expect(result.paramsHash).toBe(paramsHash(result.params));
    const initial = await engine.initialParams();
    expect(initial.paramsHash).toBe(base.paramsHash);
  });
});

describe('compute client over an engine', () => {
  function memoryStorage() {
    const map = new Map<string, string>();
    return {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      map,
    };
  }

  it('remembers a measured choice per device, verifies hashes, and reports progress', async () => {
    const storage = memoryStorage();
    const first = await connectCompute(createComputeEngine(ENV), { domainId: DOMAIN, storage });
    expect(first.initStatus.source).toBe('measured');
    expect([...storage.map.keys()]).toEqual([
      `doin:backend-choice:${first.initStatus.device?.key}:${DOMAIN}`,
    ]);
    const second = await connectCompute(createComputeEngine(ENV), { domainId: DOMAIN, storage });
    expect(second.initStatus.source).toBe('remembered');
    expect(second.initStatus.backend).toBe(first.initStatus.backend);

    const { params } = await second.initialParams();
    const progress: number[] = [];
    const result = await second.optimize(
      params,
      { steps: 20, seed: SEED },
      {
        onProgress: (e) => progress.push(e.fraction),
      },
    );
    expect(params.length).toBe(16); // the caller's array was copied, not detached
    expect(result.paramsHash).toBe(paramsHash(result.params));
    expect(progress.at(-1)).toBe(1);
    const evaluated = await second.evaluate(result.params, SEED);
    expect(evaluated.metric).toBeCloseTo(result.metric, 6);
    await expect(
      second.optimize(params, { steps: 2, seed: SEED }, { paramsHash: 'f'.repeat(64) }),
    ).rejects.toThrow(/the parameters do not match paramsHash/);
    await expect(
      connectCompute(createComputeEngine(ENV), { domainId: DOMAIN, backend: 'tpu', storage }),
    ).rejects.toThrow(/invalid backend "tpu"/);
  });

  it('hashes parameters with WebCrypto exactly as core does', async () => {
    for (const n of [1, 16, 1000]) {
      const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      expect(await paramsHashAsync(a)).toBe(paramsHash(a));
      const view = new Float32Array(new Float32Array(n + 2).fill(7).buffer, 4, n);
      expect(await paramsHashAsync(view)).toBe(paramsHash(view));
    }
  });

  it('refuses a result whose parameters do not match their hash', async () => {
    const engine = createComputeEngine(ENV);
    const tampering: ComputeApi = {
      ...engine,
      async optimize(args, onProgress) {
        const result = await engine.optimize(args, onProgress);
        result.params[0] = (result.params[0] as number) + 1;
        return result;
      },
    };
    const client = await connectCompute(tampering, {
      domainId: DOMAIN,
      backend: 'cpu',
      storage: null,
    });
    const { params } = await client.initialParams();
    await expect(client.optimize(params, { steps: 2, seed: SEED })).rejects.toThrow(
      /optimized parameters do not match their hash/,
    );
  });
});

describe('compute engine: training on a local CSV', () => {
  const csv = [
    'crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat,medv',
    '0.00632,18,2.31,0,0.538,6.575,65.2,4.09,1,296,15.3,396.9,4.98,24',
    '0.02731,0,7.07,0,0.469,6.421,78.9,4.9671,2,242,17.8,396.9,9.14,21.6',
    '0.02729,0,7.07,0,0.469,7.185,61.1,4.9671,2,242,17.8,392.83,4.03,34.7',
    '0.03237,0,2.18,0,0.458,6.998,45.8,6.0622,3,222,18.7,394.63,2.94,33.4',
  ].join('\n');

  it('parses it in the engine, trains on it, and refuses a file that does not fit', async () => {
    const engine = createComputeEngine(ENV);
    await engine.init({ domainId: 'boston-housing', backend: 'cpu' });
    const start = await engine.initialParams();
    await expect(engine.loadLocalData({ csv: 'a,b\n1,2\n' })).rejects.toThrow(
      /boston-housing needs the columns/,
    );
    await expect(engine.loadLocalData({ csv: 'crim,medv\n1,x\n' })).rejects.toThrow();
    const summary = await engine.loadLocalData({ csv });
    expect(summary).toEqual({
      domainId: 'boston-housing',
      rows: 4,
      columns: csv.split('\n')[0]?.split(','),
    });
    const args = {
      params: start.params,
      paramsHash: start.paramsHash,
      budget: { steps: 5, seed: SEED },
    };
    const local = await engine.optimize(args);
    await engine.clearLocalData();
    const publicData = await engine.optimize({ ...args, params: start.params.slice() });
    // Different training data, different candidates; evaluation stays on public data either way.
    expect(local.paramsHash).not.toBe(publicData.paramsHash);
  }, 60_000);

  it('is refused for a domain without local training', async () => {
    const { engine } = await ready('cpu');
    await expect(engine.loadLocalData({ csv: 'x\n1\n' })).rejects.toThrow(
      /does not train on local data/,
    );
  });
});
