/**
 * Backend choice by measurement with the real tfjs cpu and wasm backends (WebGL and WebGPU do not
 * exist in Node and must be reported unavailable, not crash).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/core/schemas';
import {
  type BackendChoiceStore,
  type BenchmarkWorkload,
  chooseBackend,
  describeDevice,
  measureBackends,
  pickFastest,
} from '../../src/workers/backends';
import {
  type BACKEND_NAMES,
  BackendMeasurementSchema,
  parseBackendRequest,
  type RememberedChoice,
} from '../../src/workers/computeProtocol';

const FAST = { workloadMs: 60, matmulMs: 20, matmulSize: 256 } as const;

/** A few dense training-like steps on small MLP shapes (batch 64, 16-32-1), through tfjs. */
function tfjsWorkload(): BenchmarkWorkload & { runs: number } {
  const workload = {
    runs: 0,
    stepsPerRun: 17,
    async run(_signal: AbortSignal, pace: () => Promise<void>) {
      workload.runs++;
      // Made on the backend being measured (as a domain makes its data and model).
      const [x, w1, w2] = tf.tidy(() => [
        tf.randomUniform([64, 16], -1, 1, 'float32', 1),
        tf.randomUniform([16, 32], -0.5, 0.5, 'float32', 2),
        tf.randomUniform([32, 1], -0.5, 0.5, 'float32', 3),
      ]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      try {
        for (let i = 0; i < 17; i++) {
          await pace();
          const loss = tf.tidy(() => {
            const f = (a: tf.Tensor, b: tf.Tensor) =>
              tf.mean(
                tf.square(tf.matMul(tf.relu(tf.matMul(x, a as tf.Tensor2D)), b as tf.Tensor2D)),
              );
            const { value, grads } = tf.valueAndGrads(f)([w1, w2]);
            for (const g of grads) g.dispose();
            return value;
          });
          loss.dispose(); // no sync per step: the benchmark synchronizes the device itself
        }
      } finally {
        tf.dispose([x, w1, w2]);
      }
    },
  };
  return workload;
}

function plainWorkload(): BenchmarkWorkload & { runs: number } {
  const workload = {
    runs: 0,
    stepsPerRun: 1,
    async run() {
      workload.runs++;
      let s = 0;
      for (let i = 0; i < 1000; i++) s += Math.sqrt(i);
      if (s < 0) throw new Error('unreachable');
    },
  };
  return workload;
}

const device = { key: 'a'.repeat(64), userAgent: 'test', hardwareConcurrency: 2, gpu: 'none' };

function memoryStore(initial: RememberedChoice | null = null) {
  const saved: RememberedChoice[] = [];
  let loads = 0;
  const store: BackendChoiceStore & { saved: RememberedChoice[]; loads: () => number } = {
    load: () => {
      loads++;
      return initial;
    },
    save: (c) => {
      saved.push(c);
    },
    saved,
    loads: () => loads,
  };
  return store;
}

describe('measuring backends (real tfjs cpu + wasm in Node)', () => {
  it('measures every candidate, reports webgl/webgpu unavailable, and chooses the fastest', async () => {
    const workload = tfjsWorkload();
    const report = await measureBackends(['webgpu', 'webgl', 'wasm', 'cpu'], workload, FAST);
    console.info('Node backend measurements (tfjs workload):', JSON.stringify(report));
    expect(report.measurements.map((m) => m.backend)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    for (const m of report.measurements) expect(parse(BackendMeasurementSchema, m).ok).toBe(true);
    const [webgpu, webgl, wasm, cpu] = report.measurements;
    expect(webgpu).toMatchObject({ available: false, msPerStep: null, matmulGflops: null });
    expect(webgpu?.error).toMatch(/WebGPU/);
    expect(webgl).toMatchObject({ available: false, msPerStep: null, matmulGflops: null });
    expect(webgl?.error).toMatch(/WebGL/);
    for (const m of [wasm, cpu]) {
      expect(m?.available).toBe(true);
      expect(m?.msPerStep).toBeGreaterThan(0);
      expect(m?.matmulGflops).toBeGreaterThan(0);
      expect(m?.warmupTensors).toBeGreaterThan(0);
    }
    expect(report.basis).toBe('workload');
    // Chosen = the smallest measured time per step, whichever backend that is.
    const fastest = [wasm, cpu].sort(
      (a, b) => (a?.msPerStep as number) - (b?.msPerStep as number),
    )[0];
    expect(report.chosen).toBe(fastest?.backend);
    expect(tf.getBackend()).toBe(report.chosen);
  });

  it('chooses by matmul throughput when the workload is plain JS (no tfjs kernels)', async () => {
    const report = await measureBackends(['cpu', 'wasm'], plainWorkload(), FAST);
    expect(report.basis).toBe('matmul');
    expect(report.measurements.every((m) => m.warmupTensors === 0)).toBe(true);
    const best = [...report.measurements].sort(
      (a, b) => (b.matmulGflops as number) - (a.matmulGflops as number),
    )[0];
    expect(report.chosen).toBe(best?.backend);
    expect(tf.getBackend()).toBe(report.chosen);
  });

  it('times the steps between pace calls, not the setup around them', async () => {
    let t = 0;
    const workload: BenchmarkWorkload = {
      stepsPerRun: 17,
      async run(_signal, pace) {
        t += 1_000; // data generation: not a step
        for (let i = 0; i < 17; i++) {
          await pace();
          t += 2;
        }
        t += 500; // evaluating the claim: not a step
      },
    };
    const report = await measureBackends(['wasm'], workload, {
      now: () => t,
      workloadMs: 1,
      matmulSize: 8,
      matmulMs: 0,
    });
    expect(report.measurements[0]?.msPerStep).toBe(2);
  });

  it('picks by measurement, never by name', () => {
    const m = (backend: (typeof BACKEND_NAMES)[number], msPerStep: number, gflops: number) => ({
      backend,
      available: true,
      msPerStep,
      matmulGflops: gflops,
      warmupTensors: 5,
    });
    expect(pickFastest([m('webgpu', 9, 3), m('wasm', 1, 30), m('cpu', 5, 1)]).chosen).toBe('wasm');
    expect(pickFastest([m('webgpu', 0.5, 300), m('wasm', 1, 30)]).chosen).toBe('webgpu');
    expect(
      pickFastest([{ ...m('webgpu', 0.1, 300), available: false, error: 'x' }, m('cpu', 5, 1)])
        .chosen,
    ).toBe('cpu');
    expect(pickFastest([]).chosen).toBeNull();
  });
});

describe('choosing a backend', () => {
  it('honours an override without measuring', async () => {
    const workload = plainWorkload();
    const store = memoryStore();
    const choice = await chooseBackend({
      request: 'cpu',
      domainId: 'quadratic-16',
      device,
      workload,
      store,
      measure: FAST,
    });
    expect(choice).toMatchObject({ backend: 'cpu', source: 'override', measurements: [] });
    expect(workload.runs).toBe(0);
    expect(store.saved).toEqual([]);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses an override that is unavailable here, or not a backend, with a clear error', async () => {
    const base = { domainId: 'quadratic-16', device, workload: plainWorkload() };
    await expect(chooseBackend({ ...base, request: 'webgl' })).rejects.toThrow(
      /backend webgl was requested but is not available here: WebGL is not supported here/,
    );
    await expect(chooseBackend({ ...base, request: 'webgpu' })).rejects.toThrow(
      /backend webgpu was requested but is not available here/,
    );
    await expect(chooseBackend({ ...base, request: 'gpu' as unknown as 'cpu' })).rejects.toThrow(
      /invalid backend "gpu": expected one of auto, webgpu, webgl, wasm, cpu/,
    );
    expect(() => parseBackendRequest('gpu')).toThrow(
      'invalid backend "gpu": expected one of auto, webgpu, webgl, wasm, cpu',
    );
    expect(parseBackendRequest(null)).toBe('auto');
    expect(parseBackendRequest('')).toBe('auto');
    expect(parseBackendRequest('WASM')).toBe('wasm');
  });

  it('uses a remembered choice for this device without measuring again', async () => {
    const first = memoryStore();
    const workload = plainWorkload();
    const measured = await chooseBackend({
      request: 'auto',
      domainId: 'quadratic-16',
      device,
      workload,
      candidates: ['cpu', 'wasm'],
      store: first,
      measure: FAST,
      timestamp: () => 1_767_225_600_000,
    });
    expect(measured.source).toBe('measured');
    expect(workload.runs).toBeGreaterThan(0);
    expect(first.saved).toHaveLength(1);
    const record = first.saved[0] as RememberedChoice;
    expect(record).toMatchObject({
      deviceKey: device.key,
      domainId: 'quadratic-16',
      backend: measured.backend,
      measuredAt: 1_767_225_600_000,
    });

    // Remember the other backend, to see that the record (not a new measurement) decides.
    const other = record.backend === 'cpu' ? 'wasm' : 'cpu';
    const again = plainWorkload();
    const second = memoryStore({ ...record, backend: other });
    const remembered = await chooseBackend({
      request: 'auto',
      domainId: 'quadratic-16',
      device,
      workload: again,
      candidates: ['cpu', 'wasm'],
      store: second,
      measure: FAST,
    });
    expect(remembered).toMatchObject({ backend: other, source: 'remembered' });
    expect(remembered.measurements).toEqual(record.measurements);
    expect(again.runs).toBe(0);
    expect(second.saved).toEqual([]);
    expect(tf.getBackend()).toBe(other);

    // A record from another device (or domain) is ignored: measure again.
    const stale = memoryStore({ ...record, deviceKey: 'b'.repeat(64) });
    const fresh = plainWorkload();
    const remeasured = await chooseBackend({
      request: 'auto',
      domainId: 'quadratic-16',
      device,
      workload: fresh,
      candidates: ['cpu', 'wasm'],
      store: stale,
      measure: FAST,
    });
    expect(remeasured.source).toBe('measured');
    expect(fresh.runs).toBeGreaterThan(0);
    expect(stale.saved).toHaveLength(1);
  });

  it('keys the device by userAgent, cores and GPU', async () => {
    const a = await describeDevice();
    const b = await describeDevice();
    expect(a.key).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toEqual(a);
    expect(a.gpu).toBe('none');
  });
});
