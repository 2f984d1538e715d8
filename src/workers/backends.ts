/**
 * TensorFlow.js backends: loading them by name, measuring them on the domain's own workload, and
 * choosing the fastest, never by name. Backend packages are imported dynamically, so a backend
 * that cannot run here (WebGL and WebGPU in Node) is reported unavailable instead of breaking the
 * import. Runs in a worker, in Node and in tests alike.
 *
 * - wasm: the binaries' URLs are set (setWasmAssetPaths, before the first init) to files the app
 *   serves itself (wasmAssets.ts, browser only); in Node the package finds its files itself. tfjs
 *   uses the threaded SIMD binary by itself when the page is cross-origin isolated.
 * - webgpu: the adapter is inspected first; a fallback / software adapter (SwiftShader) is
 *   reported as such. It is still measured, and loses on its measurement.
 * - A choice is remembered per device (a key over userAgent, hardwareConcurrency and the GPU
 *   description) through an injected store; the page keeps it in localStorage.
 */
import * as tf from '@tensorflow/tfjs-core';
import { utf8ToBytes } from '../core/encoding';
import { sha256Hex } from '../core/hash';
import { parse } from '../core/schemas';
import {
  BACKEND_NAMES,
  type BackendMeasurement,
  type BackendName,
  type BackendRequest,
  type ChoiceBasis,
  type DeviceInfo,
  type RememberedChoice,
  RememberedChoiceSchema,
  type WasmInfo,
} from './computeProtocol';
import { abortError, type Clock, isAbortError, Pacer } from './throttle';

export { BACKEND_NAMES, type BackendName, type BackendRequest } from './computeProtocol';

/** URLs of the three tfjs-backend-wasm binaries, keyed by their file names. */
export interface WasmPaths {
  'tfjs-backend-wasm.wasm': string;
  'tfjs-backend-wasm-simd.wasm': string;
  'tfjs-backend-wasm-threaded-simd.wasm': string;
}

let wasmPaths: WasmPaths | undefined;
let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;

/**
 * Where the wasm backend fetches its binaries. Must be called before the wasm backend is first
 * loaded (later calls throw: tfjs cannot change them after initialization).
 */
export function setWasmAssetPaths(paths: WasmPaths): void {
  if (wasmModule) {
    if (wasmPaths && JSON.stringify(wasmPaths) === JSON.stringify(paths)) return;
    throw new Error('setWasmAssetPaths must be called before the wasm backend is loaded');
  }
  wasmPaths = { ...paths };
}

// ---- adapters and device ---------------------------------------------------------------------

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

export interface AdapterDescription {
  /** Vendor, architecture, device and description, as far as the browser tells. */
  readonly description: string;
  /** A fallback (software) adapter: isFallbackAdapter, or a known software rasterizer. */
  readonly fallback: boolean;
}

function navigatorLike():
  | { userAgent?: string; hardwareConcurrency?: number; gpu?: GpuLike }
  | undefined {
  return (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } })
    .navigator;
}

let webgpuAdapterPromise: Promise<AdapterDescription | null> | undefined;

/** The WebGPU adapter tfjs will get (same power preference), or null if there is none. */
export function webgpuAdapter(): Promise<AdapterDescription | null> {
  webgpuAdapterPromise ??= (async () => {
    const gpu = navigatorLike()?.gpu;
    if (!gpu || typeof gpu.requestAdapter !== 'function') return null;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    let info: GpuAdapterInfoLike = adapter.info ?? {};
    if (!adapter.info && typeof adapter.requestAdapterInfo === 'function') {
      info = await adapter.requestAdapterInfo().catch(() => ({}));
    }
    const description =
      [info.vendor, info.architecture, info.device, info.description]
        .filter((s): s is string => typeof s === 'string' && s.length > 0)
        .join(' ')
        .slice(0, 300) || 'unknown adapter';
    const fallback =
      info.isFallbackAdapter === true ||
      adapter.isFallbackAdapter === true ||
      SOFTWARE_RENDERER.test(description);
    return { description, fallback };
  })().catch(() => null);
  return webgpuAdapterPromise;
}

let webglRendererCache: AdapterDescription | null | undefined;

/** The WebGL renderer string (unmasked where allowed), or null without WebGL. */
export function webglRenderer(): AdapterDescription | null {
  if (webglRendererCache !== undefined) return webglRendererCache;
  webglRendererCache = null;
  try {
    let canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
    if (typeof OffscreenCanvas === 'function') canvas = new OffscreenCanvas(1, 1);
    else if (typeof document !== 'undefined') canvas = document.createElement('canvas');
    if (!canvas) return null;
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as
      | WebGLRenderingContext
      | WebGL2RenderingContext
      | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(
      (ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : null) ??
        gl.getParameter(gl.RENDERER) ??
        'unknown renderer',
    ).slice(0, 300);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    webglRendererCache = { description: renderer, fallback: SOFTWARE_RENDERER.test(renderer) };
  } catch {
    webglRendererCache = null;
  }
  return webglRendererCache;
}

/** This device as far as a page can tell, and the key its backend choice is remembered under. */
export async function describeDevice(): Promise<DeviceInfo> {
  const nav = navigatorLike();
  const proc = (globalThis as { process?: { version?: string; platform?: string } }).process;
  const userAgent = (
    nav?.userAgent ?? (proc?.version ? `Node.js/${proc.version} ${proc.platform ?? ''}` : 'unknown')
  )
    .trim()
    .slice(0, 512);
  const hc = nav?.hardwareConcurrency;
  const hardwareConcurrency =
    typeof hc === 'number' && Number.isSafeInteger(hc) && hc >= 0 ? hc : 0;
  const webgpu = await webgpuAdapter();
  const webgl = webgpu ? null : webglRenderer();
  const gpu = webgpu
    ? `webgpu: ${webgpu.description}${webgpu.fallback ? ' (fallback)' : ''}`
    : webgl
      ? `webgl: ${webgl.description}`
      : 'none';
  const key = sha256Hex(
    utf8ToBytes(JSON.stringify(['doin/1/device', userAgent, hardwareConcurrency, gpu])),
  );
  return { key, userAgent, hardwareConcurrency, gpu: gpu.slice(0, 512) };
}

// ---- loading and activating backends ---------------------------------------------------------

export interface BackendProbe {
  readonly backend: BackendName;
  readonly available: boolean;
  readonly error?: string;
  readonly fallbackAdapter?: boolean;
  readonly adapter?: string;
}

const probes = new Map<BackendName, Promise<BackendProbe>>();
const failedInit = new Map<BackendName, string>();

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 400);
}

async function importBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
    case 'wasm': {
      type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');
      const mod = (await import('@tensorflow/tfjs-backend-wasm')) as Partial<WasmModule> & {
        default?: WasmModule;
      };
      // Node's CommonJS interop may put the exports under `default`.
      const wasm = (typeof mod.setWasmPaths === 'function' ? mod : mod.default) as WasmModule;
      if (!wasmModule && wasmPaths) wasm.setWasmPaths({ ...wasmPaths });
      wasmModule = wasm;
      return;
    }
  }
}

/** Loads a backend's package and says whether it can run here (without activating it). */
export function probeBackend(name: BackendName): Promise<BackendProbe> {
  let probe = probes.get(name);
  if (!probe) {
    probe = (async (): Promise<BackendProbe> => {
      let extra: { fallbackAdapter?: boolean; adapter?: string } = {};
      if (name === 'webgpu') {
        if (!navigatorLike()?.gpu) {
          return { backend: name, available: false, error: 'WebGPU is not supported here' };
        }
        const adapter = await webgpuAdapter();
        if (!adapter) return { backend: name, available: false, error: 'no WebGPU adapter' };
        extra = { fallbackAdapter: adapter.fallback, adapter: adapter.description };
      }
      try {
        await importBackend(name);
      } catch (err) {
        return { backend: name, available: false, error: `cannot load: ${message(err)}` };
      }
      if (!tf.findBackendFactory(name)) {
        const why =
          name === 'webgl' ? 'WebGL is not supported here' : `${name} did not register here`;
        return { backend: name, available: false, error: why, ...extra };
      }
      if (name === 'webgl') {
        const renderer = webglRenderer();
        if (renderer) extra = { fallbackAdapter: renderer.fallback, adapter: renderer.description };
      }
      return { backend: name, available: true, ...extra };
    })();
    probes.set(name, probe);
  }
  return probe;
}

/**
 * Makes `name` the active tfjs backend. Resolves to the probe, with available false and the
 * reason if the backend cannot be loaded or fails to initialize (a failure is remembered).
 */
export async function activateBackend(name: BackendName): Promise<BackendProbe> {
  const probe = await probeBackend(name);
  if (!probe.available) return probe;
  const failed = failedInit.get(name);
  if (failed) return { ...probe, available: false, error: failed };
  if (tf.getBackend() === name) return probe;
  // tfjs logs initialization errors instead of throwing: catch them for the report.
  const warnings: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => String(a)).join(' '));
    originalWarn.apply(console, args);
  };
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    warnings.push(message(err));
  } finally {
    console.warn = originalWarn;
  }
  if (ok) return probe;
  const reason = `initialization failed${warnings.length ? `: ${warnings.join('; ')}` : ''}`.slice(
    0,
    480,
  );
  failedInit.set(name, reason);
  return { ...probe, available: false, error: reason };
}

/** The active backend's name, if it is one of ours. */
export function activeBackend(): BackendName | null {
  const name = tf.getBackend();
  return (BACKEND_NAMES as readonly string[]).includes(name) ? (name as BackendName) : null;
}

/** SIMD / threads of the wasm backend, once it has been loaded (null before). */
export async function wasmInfo(): Promise<WasmInfo | null> {
  if (!wasmModule) return null;
  try {
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    let threads = 0; // 0: the wasm backend has not been initialized
    try {
      const n = wasmModule.getThreadsCount();
      if (Number.isSafeInteger(n) && n > 0) threads = n;
    } catch {
      // getThreadsCount throws before the backend is initialized
    }
    return { simd, multithread, threads };
  } catch {
    return null;
  }
}

// ---- measuring -------------------------------------------------------------------------------

/**
 * A domain-shaped piece of work: `stepsPerRun` work units per `run` (e.g. one `domain.optimize`
 * call with that many steps). The workload must await `pace` between its steps (as domains do
 * with OptimizeBudget.pace): the benchmark times the steps between those calls, so per-run setup
 * (data generation, the claim's evaluation) does not count, and stops (throws an AbortError)
 * after `signal` aborts. A workload that never calls `pace` is timed per run instead.
 */
export interface BenchmarkWorkload {
  readonly stepsPerRun: number;
  run(signal: AbortSignal, pace: () => Promise<void>): Promise<void>;
}

/** Steps per timing window; the backend is synchronized at each window's ends. */
export const STEP_WINDOW = 8;

/**
 * Waits until the backend has finished all work queued so far. WebGL and WebGPU run ahead of
 * JS; reading back a result computed on the device after that work waits for it. (Big enough
 * not to be handed off to the CPU: tfjs runs small ops on the CPU.)
 */
export async function flushBackend(): Promise<void> {
  const t = tf.tidy(() => tf.add(tf.fill([2048], 1), tf.scalar(1)));
  try {
    await t.data();
  } finally {
    t.dispose();
  }
}

export interface MeasureOptions {
  /** Milliseconds, monotonic. Default performance.now. */
  readonly now?: Clock;
  /** Time spent timing the workload on one backend after its warm-up run. Default 300 ms. */
  readonly workloadMs?: number;
  /** A backend whose workload (warm-up included) runs longer is cut off. Default 5000 ms. */
  readonly maxWorkloadMs?: number;
  /** At most this many timed workload runs per backend. Default 200. */
  readonly maxRuns?: number;
  /** Side of the square matmul. Default 512. */
  readonly matmulSize?: number;
  /** Time spent timing the matmul on one backend. Default 150 ms. */
  readonly matmulMs?: number;
  /**
   * A backend whose steps are already this many times slower than the best one measured before
   * it is not timed further (its msPerStep is then a lower bound). Default 3.
   */
  readonly slowFactor?: number;
}

export interface MeasureReport {
  readonly measurements: BackendMeasurement[];
  /** The fastest available backend by `basis`; null if none worked. */
  readonly chosen: BackendName | null;
  readonly basis: ChoiceBasis;
}

async function timeMatmul(size: number, budgetMs: number, now: Clock): Promise<number> {
  const a = tf.randomUniform([size, size], -1, 1, 'float32', 1);
  const b = tf.randomUniform([size, size], -1, 1, 'float32', 2);
  try {
    const once = async () => {
      const c = tf.matMul(a, b);
      try {
        await c.data();
      } finally {
        c.dispose();
      }
    };
    await once(); // warm-up: shader compilation, weight packing, allocation
    let reps = 0;
    const t0 = now();
    do {
      await once();
      reps++;
    } while (now() - t0 < budgetMs && reps < 50);
    const seconds = Math.max(now() - t0, 1e-3) / 1000;
    return (2 * size ** 3 * reps) / seconds / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

interface WorkloadFigures {
  msPerStep: number;
  warmupTensors: number;
  truncated: boolean;
}

/**
 * The warm-up run: at least two full steps (compilation, allocation), and up to a window's worth
 * (JIT warm-up of JS kernels) while it stays under WARMUP_MS.
 */
const WARMUP_MIN_PACES = 3;
const WARMUP_MAX_PACES = STEP_WINDOW + 1;
const WARMUP_MS = 250;

/**
 * tfjs tensors created so far (every kernel output is one): tells whether a workload touches
 * tfjs at all. Read from the engine's id counter; null if this tfjs build hides it.
 */
function tensorCounter(): number | null {
  const n = (tf.engine().constructor as unknown as { nextTensorId?: unknown }).nextTensorId;
  return typeof n === 'number' ? n : null;
}

class StopPhase extends Error {
  override readonly name = 'AbortError';
}

/**
 * Times `workload` on the active backend. A short warm-up run (two steps: compilation,
 * allocation) learns whether the workload uses tfjs at all; then runs are timed in windows of
 * STEP_WINDOW steps between the workload's `pace` calls, the device synchronized at each window
 * end (only when the workload uses tfjs: plain JS needs no sync), until `workloadMs` has passed.
 * A backend already `slowFactor` times slower than `bestMsPerStep` is stopped early (its figure
 * is then a lower bound, marked truncated), and any backend is cut off after `maxWorkloadMs`.
 */
async function timeWorkload(
  workload: BenchmarkWorkload,
  options: Required<Pick<MeasureOptions, 'workloadMs' | 'maxWorkloadMs' | 'maxRuns'>> & {
    now: Clock;
    bestMsPerStep: number | null;
    slowFactor: number;
  },
): Promise<WorkloadFigures> {
  const { now } = options;
  const main = new AbortController();
  const cutoff = setTimeout(
    () => main.abort(abortError(undefined, 'benchmark workload cut off')),
    options.maxWorkloadMs,
  );
  /** One run under its own signal (also aborted by the cut-off); true if it ran to the end. */
  const runPhase = async (
    makePace: (stop: (why: string) => never, yielder: Pacer) => () => Promise<void>,
  ): Promise<boolean> => {
    const phase = new AbortController();
    const onMainAbort = () => phase.abort(main.signal.reason);
    main.signal.addEventListener('abort', onMainAbort, { once: true });
    const yielder = new Pacer({ signal: phase.signal, now });
    const stop = (why: string): never => {
      const reason = new StopPhase(why);
      phase.abort(reason);
      throw reason;
    };
    try {
      await workload.run(phase.signal, makePace(stop, yielder));
      return true;
    } catch (err) {
      if (main.signal.aborted || !phase.signal.aborted || !isAbortError(err)) throw err;
      return false; // stopped on purpose
    } finally {
      main.signal.removeEventListener('abort', onMainAbort);
    }
  };

  let windowMs = 0;
  let windowSteps = 0;
  let slowLowerBound: number | null = null;
  let sync = false;
  const start = now();
  let runs = 0;
  let timedStart = start;
  let warmupTensors = 0;
  try {
    const before = tensorCounter();
    await runPhase((stop, yielder) => {
      let paces = 0;
      return async () => {
        await yielder.pace();
        paces++;
        if (paces >= WARMUP_MAX_PACES || (paces >= WARMUP_MIN_PACES && now() - start > WARMUP_MS)) {
          stop('warm-up complete');
        }
      };
    });
    const after = tensorCounter();
    warmupTensors = before === null || after === null ? 1 : Math.max(0, after - before);
    sync = warmupTensors > 0;
    const slowAt =
      options.bestMsPerStep === null
        ? Number.POSITIVE_INFINITY
        : options.bestMsPerStep * options.slowFactor;
    let enough = false;
    timedStart = now();
    do {
      await runPhase((stop, yielder) => {
        let mark: number | null = null;
        let steps = 0;
        return async () => {
          await yielder.pace();
          if (mark === null) {
            if (sync) await flushBackend(); // work queued before the first step does not count
            mark = now();
            return;
          }
          steps++;
          if (steps < STEP_WINDOW) {
            // The window's mean is already certain to exceed slowAt, whatever the rest costs.
            const lowerBound = (now() - mark) / STEP_WINDOW;
            if (lowerBound > slowAt) {
              slowLowerBound = lowerBound;
              stop('clearly slower than the best backend');
            }
            return;
          }
          if (sync) await flushBackend();
          const t = now();
          windowMs += t - mark;
          windowSteps += steps;
          steps = 0;
          if (windowMs / windowSteps > slowAt) {
            slowLowerBound = windowMs / windowSteps;
            stop('clearly slower than the best backend');
          }
          if (t - timedStart >= options.workloadMs) {
            enough = true;
            stop('measured enough');
          }
          mark = now();
        };
      });
      runs++;
    } while (
      !enough &&
      slowLowerBound === null &&
      now() - timedStart < options.workloadMs &&
      runs < options.maxRuns
    );
    if (slowLowerBound !== null) {
      return { msPerStep: slowLowerBound, warmupTensors, truncated: true };
    }
    const total = now() - timedStart;
    const msPerStep =
      windowSteps > 0 ? windowMs / windowSteps : total / (runs * workload.stepsPerRun);
    return { msPerStep, warmupTensors, truncated: false };
  } catch (err) {
    if (!main.signal.aborted || !isAbortError(err)) throw err;
    // Cut off: this backend is at least this slow (a lower bound that loses the comparison).
    const elapsed = now() - (runs > 0 ? timedStart : start);
    const lowerBound =
      windowSteps > 0
        ? windowMs / windowSteps
        : elapsed / (Math.max(runs, 1) * workload.stepsPerRun);
    return { msPerStep: lowerBound, warmupTensors, truncated: true };
  } finally {
    clearTimeout(cutoff);
  }
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/**
 * Measurement order when the caller does not give one: the usually fast CPU path first, so that
 * a slow (e.g. software) GPU adapter can be stopped early. Order never decides the choice.
 */
export const MEASURE_ORDER: readonly BackendName[] = ['wasm', 'webgpu', 'webgl', 'cpu'];

/**
 * Sets each candidate backend in turn, warms it up, times `workload` and a square matmul, and
 * chooses the fastest available one: by the workload's time per step when the workload runs tfjs
 * kernels, else (a plain-JS domain, which every backend runs alike) by matmul throughput. Leaves
 * the chosen backend active.
 */
export async function measureBackends(
  candidates: readonly BackendName[],
  workload: BenchmarkWorkload,
  options: MeasureOptions = {},
): Promise<MeasureReport> {
  const now = options.now ?? (() => performance.now());
  const size = options.matmulSize ?? 512;
  const timing = {
    now,
    workloadMs: options.workloadMs ?? 300,
    maxWorkloadMs: options.maxWorkloadMs ?? 5_000,
    maxRuns: options.maxRuns ?? 200,
  };
  const measurements: BackendMeasurement[] = [];
  for (const backend of candidates) {
    const began = now();
    const probe = await activateBackend(backend);
    const adapterFields = {
      ...(probe.fallbackAdapter !== undefined ? { fallbackAdapter: probe.fallbackAdapter } : {}),
      ...(probe.adapter !== undefined ? { adapter: probe.adapter } : {}),
    };
    if (!probe.available) {
      measurements.push({
        backend,
        available: false,
        error: probe.error ?? 'unavailable',
        msPerStep: null,
        matmulGflops: null,
        ...adapterFields,
      });
      continue;
    }
    let matmulGflops: number | null = null;
    let figures: WorkloadFigures | null = null;
    let error: string | undefined;
    const best = measurements
      .filter((m) => m.available && !m.truncated && m.msPerStep !== null)
      .reduce<number | null>(
        (b, m) => (b === null ? m.msPerStep : Math.min(b, m.msPerStep as number)),
        null,
      );
    try {
      matmulGflops = round(await timeMatmul(size, options.matmulMs ?? 150, now), 3);
      figures = await timeWorkload(workload, {
        ...timing,
        bestMsPerStep: best,
        slowFactor: options.slowFactor ?? 3,
      });
    } catch (err) {
      error = `benchmark failed: ${message(err)}`;
    }
    measurements.push({
      backend,
      available: error === undefined,
      ...(error !== undefined ? { error } : {}),
      msPerStep: figures ? round(figures.msPerStep, 6) : null,
      matmulGflops,
      ...(figures ? { warmupTensors: figures.warmupTensors } : {}),
      ...(figures?.truncated ? { truncated: true } : {}),
      benchmarkMs: round(now() - began, 1),
      ...adapterFields,
    });
  }
  const { chosen, basis } = pickFastest(measurements);
  if (chosen) {
    const active = await activateBackend(chosen);
    if (!active.available) throw new Error(`cannot switch back to ${chosen}: ${active.error}`);
  }
  return { measurements, chosen, basis };
}

/** The choice rule, on its own so it can be checked against reported figures. */
export function pickFastest(measurements: readonly BackendMeasurement[]): {
  chosen: BackendName | null;
  basis: ChoiceBasis;
} {
  const usable = measurements.filter((m) => m.available && m.error === undefined);
  const basis: ChoiceBasis = usable.some((m) => (m.warmupTensors ?? 0) > 0) ? 'workload' : 'matmul';
  let best: BackendMeasurement | undefined;
  for (const m of usable) {
    if (basis === 'workload') {
      if (m.msPerStep === null) continue;
      if (!best || m.msPerStep < (best.msPerStep as number)) best = m;
    } else {
      if (m.matmulGflops === null) continue;
      if (!best || m.matmulGflops > (best.matmulGflops as number)) best = m;
    }
  }
  return { chosen: best?.backend ?? null, basis };
}

// ---- choosing --------------------------------------------------------------------------------

/** Where a measured choice is remembered (the page: localStorage; tests: memory). */
export interface BackendChoiceStore {
  load(
    deviceKey: string,
    domainId: string,
  ): RememberedChoice | null | undefined | Promise<RememberedChoice | null | undefined>;
  save(choice: RememberedChoice): void | Promise<void>;
}

export interface ChooseOptions {
  readonly request: BackendRequest;
  readonly domainId: string;
  readonly device: DeviceInfo;
  readonly workload: BenchmarkWorkload;
  readonly candidates?: readonly BackendName[];
  readonly store?: BackendChoiceStore;
  readonly measure?: MeasureOptions;
  /** Wall clock for `measuredAt`. Default Date.now. */
  readonly timestamp?: () => number;
}

export interface BackendChoice {
  readonly backend: BackendName;
  readonly source: 'measured' | 'remembered' | 'override';
  readonly basis: ChoiceBasis | null;
  readonly measurements: BackendMeasurement[];
  /** The record that was (or would be) remembered for this device; null for an override. */
  readonly record: RememberedChoice | null;
}

/**
 * Chooses and activates the backend: an explicit request (`?backend=`) wins and must work; else a
 * remembered choice for this device and domain is used without measuring, if that backend still
 * initializes; else the candidates are measured and the fastest is chosen and saved.
 */
export async function chooseBackend(options: ChooseOptions): Promise<BackendChoice> {
  const candidates = options.candidates ?? MEASURE_ORDER;
  if (options.request !== 'auto') {
    const name = options.request;
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `invalid backend ${JSON.stringify(name)}: expected one of auto, ${BACKEND_NAMES.join(', ')}`,
      );
    }
    const probe = await activateBackend(name);
    if (!probe.available) {
      throw new Error(`backend ${name} was requested but is not available here: ${probe.error}`);
    }
    return { backend: name, source: 'override', basis: null, measurements: [], record: null };
  }

  const stored = await options.store?.load(options.device.key, options.domainId);
  if (stored) {
    const checked = parse(RememberedChoiceSchema, stored);
    const record = checked.ok ? checked.value : null;
    if (
      record &&
      record.deviceKey === options.device.key &&
      record.domainId === options.domainId &&
      candidates.includes(record.backend)
    ) {
      const probe = await activateBackend(record.backend);
      if (probe.available) {
        return {
          backend: record.backend,
          source: 'remembered',
          basis: record.basis,
          measurements: record.measurements,
          record,
        };
      }
    }
  }

  const report = await measureBackends(candidates, options.workload, options.measure);
  if (!report.chosen) {
    const why = report.measurements.map((m) => `${m.backend}: ${m.error ?? 'failed'}`).join('; ');
    throw new Error(`no tfjs backend works here (${why})`);
  }
  const record: RememberedChoice = {
    deviceKey: options.device.key,
    domainId: options.domainId,
    backend: report.chosen,
    basis: report.basis,
    measuredAt: Math.floor((options.timestamp ?? Date.now)()),
    measurements: report.measurements,
  };
  await options.store?.save(record);
  return {
    backend: report.chosen,
    source: 'measured',
    basis: report.basis,
    measurements: report.measurements,
    record,
  };
}
