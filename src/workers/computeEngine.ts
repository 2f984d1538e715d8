/**
 * The compute worker's logic: one domain, one tfjs backend (chosen by measurement on the domain's
 * own workload, or an override, or the device's remembered choice), one job at a time. Optimize
 * jobs are paced by the duty cycle and can be cancelled; every argument is validated and every
 * result checked before it leaves. No Worker or Comlink here: Node tests drive it directly, and
 * compute.worker.ts exposes it.
 */
import type { DomainPlugin } from '../core/domain';
import { paramsHash } from '../core/hash';
import { parse } from '../core/schemas';
import { domainRegistry } from '../domains/index';
import { type LocalTrainingAdapter, localTrainingAdapter, parseCsv } from '../domains/localDataset';
import {
  activeBackend,
  type BackendChoiceStore,
  type BenchmarkWorkload,
  chooseBackend,
  describeDevice as describeThisDevice,
  MEASURE_ORDER,
  type MeasureOptions,
  STEP_WINDOW,
  setWasmAssetPaths,
  type WasmPaths,
  wasmInfo,
} from './backends';
import {
  type BackendMeasurement,
  type BackendName,
  type ChoiceBasis,
  type ComputeApi,
  type ComputeStatus,
  type DeviceInfo,
  EvaluateArgsSchema,
  type EvaluateResult,
  type Examples,
  ExamplesSchema,
  InferArgsSchema,
  type InferResult,
  type InitialParams,
  InitOptionsSchema,
  type JobKind,
  LoadLocalDataArgsSchema,
  OptimizeArgsSchema,
  type OptimizeJobResult,
  type ProgressEvent,
  type RememberedChoice,
  SetDutyCycleArgsSchema,
  type WasmInfo,
} from './computeProtocol';
import {
  abortError,
  type Clock,
  checkDutyCycle,
  defaultSleep,
  isAbortError,
  Pacer,
  type Sleep,
} from './throttle';

/** Where domains come from (default: the built-in registry of src/domains). */
export interface DomainSource {
  get(id: string): DomainPlugin | undefined;
  list(): DomainPlugin[];
}

export interface ComputeEnvironment {
  readonly domains?: DomainSource;
  /** Monotonic milliseconds. Default performance.now. */
  readonly now?: Clock;
  readonly sleep?: Sleep;
  /** Wall clock for remembered choices. Default Date.now. */
  readonly timestamp?: () => number;
  /** The app's own URLs of the wasm binaries (browser); Node finds them itself. */
  readonly wasmPaths?: WasmPaths;
  readonly describeDevice?: () => Promise<DeviceInfo>;
  /** Budgets of the start-up benchmark. */
  readonly measure?: MeasureOptions;
  /** Domain steps per benchmark run (default 1). */
  readonly benchmarkSteps?: number;
  /** Pacer tuning (see PacerOptions). */
  readonly minSleepMs?: number;
  readonly yieldEveryMs?: number;
  /** Minimum interval between progress events, ms (default 100; the last one is always sent). */
  readonly progressIntervalMs?: number;
}

/** Fixed seed for the benchmark workload: the same work on every backend. */
const BENCHMARK_SEED = `be${'00'.repeat(31)}`;

function invalid(what: string, error: string): Error {
  return new Error(`invalid ${what}: ${error}`);
}

/** A standalone copy when `a` is a view on a larger or shared buffer (so it can be transferred). */
function standalone(a: Float32Array): Float32Array {
  const whole =
    a.byteOffset === 0 &&
    a.byteLength === a.buffer.byteLength &&
    typeof ArrayBuffer !== 'undefined' &&
    a.buffer instanceof ArrayBuffer;
  return whole ? a : a.slice();
}

interface RunningJob {
  readonly id: number;
  readonly kind: JobKind;
  readonly controller: AbortController;
  readonly pacer: Pacer | null;
  fraction: number;
  readonly settled: Promise<void>;
}

interface Loaded {
  readonly domain: DomainPlugin;
  readonly backend: BackendName;
  readonly source: 'measured' | 'remembered' | 'override';
  readonly basis: ChoiceBasis | null;
  readonly measurements: BackendMeasurement[];
  readonly choice: RememberedChoice | null;
  readonly device: DeviceInfo;
}

export interface ComputeEngine extends ComputeApi {}

export function createComputeEngine(env: ComputeEnvironment = {}): ComputeEngine {
  const domains: DomainSource = env.domains ?? domainRegistry;
  const now = env.now ?? (() => performance.now());
  const sleep = env.sleep ?? defaultSleep;
  const progressInterval = env.progressIntervalMs ?? 100;
  let loaded: Loaded | null = null;
  let initializing = false;
  let dutyCycle = 1;
  let job: RunningJob | null = null;
  let nextJobId = 1;
  let jobsDone = 0;
  let wasm: WasmInfo | null = null;
  let devicePromise: Promise<DeviceInfo> | undefined;
  /** The user's own training data, prepared for the loaded domain, if any. */
  let localData: { adapter: LocalTrainingAdapter<unknown>; data: unknown } | null = null;

  const device = (): Promise<DeviceInfo> => {
    devicePromise ??= (env.describeDevice ?? describeThisDevice)();
    return devicePromise;
  };

  function requireLoaded(): Loaded {
    if (!loaded) throw new Error('the compute engine is not initialised: call init first');
    return loaded;
  }

  function requireIdle(kind: JobKind | 'loadLocalData' | 'clearLocalData'): void {
    if (job) {
      throw new Error(
        `busy: ${job.kind} job ${job.id} is running (one job at a time; ${kind} refused)`,
      );
    }
  }

  /** Checks length and content address of incoming parameters. */
  function checkParams(domain: DomainPlugin, params: Float32Array, hash: string): void {
    const expected = domain.descriptor.paramCount;
    if (params.length !== expected) {
      throw new Error(
        `wrong parameter count for ${domain.descriptor.id}: expected ${expected}, got ${params.length}`,
      );
    }
    const actual = paramsHash(params);
    if (actual !== hash) {
      throw new Error(
        `the parameters do not match paramsHash: their sha256 is ${actual}, not ${hash}`,
      );
    }
  }

  function beginJob(
    kind: JobKind,
    pacer: Pacer | null,
    controller: AbortController,
  ): {
    job: RunningJob;
    finish: () => void;
  } {
    let finish = () => {};
    const settled = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const running: RunningJob = { id: nextJobId++, kind, controller, pacer, fraction: 0, settled };
    job = running;
    return {
      job: running,
      finish: () => {
        if (job === running) job = null;
        jobsDone++;
        finish();
      },
    };
  }

  function statusOf(): ComputeStatus {
    return {
      ready: loaded !== null,
      domain: loaded ? { ...loaded.domain.descriptor } : null,
      backend: loaded ? (activeBackend() ?? loaded.backend) : null,
      source: loaded?.source ?? null,
      basis: loaded?.basis ?? null,
      device: loaded?.device ?? null,
      measurements: loaded?.measurements ?? [],
      choice: loaded?.choice ?? null,
      dutyCycle,
      job: job ? { id: job.id, kind: job.kind, fraction: job.fraction } : null,
      jobsDone,
      wasm,
      crossOriginIsolated:
        (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    };
  }

  function domainWorkload(domain: DomainPlugin): BenchmarkWorkload {
    // Enough steps for two timing windows after the first step.
    const steps = Math.max(1, Math.floor(env.benchmarkSteps ?? 2 * STEP_WINDOW + 1));
    const start = domain.initialParams();
    return {
      stepsPerRun: steps,
      async run(signal, pace) {
        await domain.optimize(start.slice(), { steps, seed: BENCHMARK_SEED, signal, pace });
      },
    };
  }

  const engine: ComputeEngine = {
    describeDevice: () => device(),

    async init(input) {
      const checked = parse(InitOptionsSchema, input);
      if (!checked.ok) throw invalid('init options', checked.error);
      if (loaded) throw new Error(`already initialised for ${loaded.domain.descriptor.id}`);
      if (initializing) throw new Error('init is already in progress');
      const options = checked.value;
      const domain = domains.get(options.domainId);
      if (!domain) {
        const known = domains.list().map((d) => d.descriptor.id);
        throw new Error(
          `unknown domain ${options.domainId} (known: ${known.join(', ') || 'none'})`,
        );
      }
      initializing = true;
      try {
        if (env.wasmPaths) setWasmAssetPaths(env.wasmPaths);
        const dev = await device();
        let saved: RememberedChoice | null = null;
        const store: BackendChoiceStore = {
          load: () => options.remembered ?? null,
          save: (choice) => {
            saved = choice;
          },
        };
        const choice = await chooseBackend({
          request: options.backend,
          domainId: domain.descriptor.id,
          device: dev,
          workload: domainWorkload(domain),
          candidates: options.candidates ?? MEASURE_ORDER,
          store,
          ...(env.measure ? { measure: { now, ...env.measure } } : { measure: { now } }),
          ...(env.timestamp ? { timestamp: env.timestamp } : {}),
        });
        wasm = await wasmInfo();
        dutyCycle = options.dutyCycle;
        loaded = {
          domain,
          backend: choice.backend,
          source: choice.source,
          basis: choice.basis,
          measurements: choice.measurements,
          choice: saved,
          device: dev,
        };
        return statusOf();
      } finally {
        initializing = false;
      }
    },

    async status() {
      return statusOf();
    },

    async initialParams(): Promise<InitialParams> {
      const { domain } = requireLoaded();
      const params = standalone(domain.initialParams());
      return { domainId: domain.descriptor.id, params, paramsHash: paramsHash(params) };
    },

    async optimize(input, onProgress) {
      const { domain, backend } = requireLoaded();
      const checked = parse(OptimizeArgsSchema, input);
      if (!checked.ok) throw invalid('optimize arguments', checked.error);
      if (onProgress !== undefined && typeof onProgress !== 'function') {
        throw invalid('optimize arguments', 'onProgress must be a function');
      }
      requireIdle('optimize');
      const args = checked.value;
      checkParams(domain, args.params, args.paramsHash);

      const controller = new AbortController();
      const pacer = new Pacer({
        dutyCycle,
        signal: controller.signal,
        now,
        sleep,
        ...(env.minSleepMs !== undefined ? { minSleepMs: env.minSleepMs } : {}),
        ...(env.yieldEveryMs !== undefined ? { yieldEveryMs: env.yieldEveryMs } : {}),
      });
      const { job: running, finish } = beginJob('optimize', pacer, controller);
      const started = now();
      let lastSent = Number.NEGATIVE_INFINITY;
      const report = (fraction: number) => {
        if (!Number.isFinite(fraction)) return;
        running.fraction = Math.min(1, Math.max(running.fraction, fraction));
        if (!onProgress) return;
        const t = now();
        if (running.fraction < 1 && t - lastSent < progressInterval) return;
        lastSent = t;
        const stats = pacer.stats;
        const event: ProgressEvent = {
          jobId: running.id,
          kind: 'optimize',
          fraction: running.fraction,
          elapsedMs: Math.max(0, t - started),
          busyMs: stats.busyMs,
          sleptMs: stats.sleptMs,
          dutyCycle: pacer.dutyCycle,
        };
        try {
          // Across Comlink this returns a promise: never await it, never let it reject loudly.
          const sent = onProgress(event) as unknown;
          if (sent && typeof (sent as Promise<void>).then === 'function') {
            (sent as Promise<void>).then(undefined, () => {});
          }
        } catch {
          // a failing progress listener must not fail the job
        }
      };
      try {
        const budget = {
          steps: args.budget.steps,
          seed: args.budget.seed,
          signal: controller.signal,
          onProgress: report,
          pace: pacer.pace,
        };
        const result = localData
          ? await localData.adapter.optimizeOn(args.params.slice(), budget, localData.data)
          : await domain.optimize(args.params.slice(), budget);
        if (controller.signal.aborted) throw abortError(controller.signal);
        if (!(result?.params instanceof Float32Array)) {
          throw new Error(`domain ${domain.descriptor.id} returned no Float32Array parameters`);
        }
        if (result.params.length !== domain.descriptor.paramCount) {
          throw new Error(
            `domain ${domain.descriptor.id} returned ${result.params.length} parameters, expected ${domain.descriptor.paramCount}`,
          );
        }
        if (typeof result.metric !== 'number' || !Number.isFinite(result.metric)) {
          throw new Error(
            `domain ${domain.descriptor.id} returned a non-finite metric: ${result.metric}`,
          );
        }
        const params = standalone(result.params);
        if (running.fraction < 1) report(1);
        const stats = pacer.stats;
        const out: OptimizeJobResult = {
          jobId: running.id,
          domainId: domain.descriptor.id,
          params,
          paramsHash: paramsHash(params),
          baseHash: args.paramsHash,
          metric: Object.is(result.metric, -0) ? 0 : result.metric,
          steps: args.budget.steps,
          backend: activeBackend() ?? backend,
          elapsedMs: Math.max(0, now() - started),
          busyMs: stats.busyMs,
          sleptMs: stats.sleptMs,
        };
        return out;
      } catch (err) {
        if (controller.signal.aborted) throw abortError(controller.signal);
        if (isAbortError(err)) throw err;
        throw err instanceof Error ? err : new Error(String(err));
      } finally {
        finish();
      }
    },

    async evaluate(input): Promise<EvaluateResult> {
      const { domain, backend } = requireLoaded();
      const checked = parse(EvaluateArgsSchema, input);
      if (!checked.ok) throw invalid('evaluate arguments', checked.error);
      requireIdle('evaluate');
      const args = checked.value;
      checkParams(domain, args.params, args.paramsHash);
      const { finish } = beginJob('evaluate', null, new AbortController());
      const started = now();
      try {
        const metric = await domain.evaluate(args.params, args.seed);
        if (typeof metric !== 'number' || !Number.isFinite(metric)) {
          throw new Error(
            `domain ${domain.descriptor.id} evaluated to a non-finite metric: ${metric}`,
          );
        }
        return {
          domainId: domain.descriptor.id,
          paramsHash: args.paramsHash,
          seed: args.seed,
          metric: Object.is(metric, -0) ? 0 : metric,
          backend: activeBackend() ?? backend,
          elapsedMs: Math.max(0, now() - started),
        };
      } finally {
        finish();
      }
    },

    async infer(input): Promise<InferResult> {
      const { domain, backend } = requireLoaded();
      const checked = parse(InferArgsSchema, input);
      if (!checked.ok) throw invalid('infer arguments', checked.error);
      requireIdle('infer');
      const args = checked.value;
      checkParams(domain, args.params, args.paramsHash);
      const { finish } = beginJob('infer', null, new AbortController());
      const started = now();
      try {
        const output = await domain.infer(args.params, args.input);
        return {
          domainId: domain.descriptor.id,
          paramsHash: args.paramsHash,
          output,
          backend: activeBackend() ?? backend,
          elapsedMs: Math.max(0, now() - started),
        };
      } finally {
        finish();
      }
    },

    async examples(count): Promise<Examples> {
      const { domain } = requireLoaded();
      if (!Number.isSafeInteger(count) || count < 1 || count > 16) {
        throw invalid('examples count', 'a whole number from 1 to 16');
      }
      const made = (domain.examples?.(count) ?? []).map((e) => ({
        ...e,
        ...(e.series ? { series: [...e.series] } : {}),
      }));
      const checked = parse(ExamplesSchema, made);
      if (!checked.ok)
        throw new Error(`${domain.descriptor.id} made invalid examples: ${checked.error}`);
      return checked.value;
    },

    async cancel() {
      const running = job;
      if (running?.kind !== 'optimize') return false;
      running.controller.abort(
        abortError(undefined, `${running.kind} job ${running.id} was cancelled`),
      );
      await running.settled;
      return true;
    },

    async loadLocalData(input) {
      const { domain } = requireLoaded();
      const checked = parse(LoadLocalDataArgsSchema, input);
      if (!checked.ok) throw invalid('local data', checked.error);
      requireIdle('loadLocalData');
      const adapter = localTrainingAdapter(domain.descriptor.id);
      if (!adapter) throw new Error(`domain ${domain.descriptor.id} does not train on local data`);
      const table = parseCsv(checked.value.csv);
      const column = checked.value.column;
      const data = adapter.fromTable(table, column === undefined ? {} : { column });
      localData = { adapter, data };
      return { domainId: domain.descriptor.id, rows: table.rows.rows, columns: [...table.columns] };
    },

    async clearLocalData() {
      requireIdle('clearLocalData');
      localData = null;
    },

    async setDutyCycle(input) {
      const checked = parse(SetDutyCycleArgsSchema, input);
      if (!checked.ok) throw invalid('duty cycle', `${checked.error}, got ${String(input)}`);
      dutyCycle = checkDutyCycle(checked.value);
      job?.pacer?.setDutyCycle(dutyCycle);
      return dutyCycle;
    },
  };
  return engine;
}
