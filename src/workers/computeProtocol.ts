/**
 * What crosses the boundary between the page and a compute worker (computeEngine.ts behind
 * compute.worker.ts). Both sides validate what they receive against these schemas: the worker
 * checks every argument, the page checks every result, progress event and status (a worker is an
 * input like any other). Parameters travel as transferable Float32Arrays together with their
 * content address, `paramsHash` (sha256 of the little-endian float32 bytes); the receiver always
 * recomputes the hash and refuses a mismatch.
 *
 * This module has no tfjs import: the page can use it without loading TensorFlow.js.
 */
import * as v from 'valibot';
import {
  DomainDescriptorSchema,
  DomainIdSchema,
  HashSchema,
  LIMITS,
  MetricSchema,
  UintSchema,
} from '../core/schemas';

// ---- backends --------------------------------------------------------------------------------

export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What a caller may ask for: a backend by name (an override) or `auto` (measure and choose). */
export type BackendRequest = BackendName | 'auto';

const backendList = BACKEND_NAMES.join(', ');
export const BackendNameSchema = v.picklist(BACKEND_NAMES, `expected one of ${backendList}`);
export const BackendRequestSchema = v.picklist(
  ['auto', ...BACKEND_NAMES],
  `expected one of auto, ${backendList}`,
);

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/**
 * Reads a `?backend=` value. Absent or empty means `auto`; anything that is not a backend name is
 * refused with an error that lists the valid names (never silently ignored).
 */
export function parseBackendRequest(value: string | null | undefined): BackendRequest {
  if (value === null || value === undefined || value === '') return 'auto';
  const normalized = value.trim().toLowerCase();
  if (normalized === 'auto' || isBackendName(normalized)) return normalized;
  throw new Error(
    `invalid backend ${JSON.stringify(value).slice(0, 80)}: expected one of auto, ${backendList}`,
  );
}

const ShortText = (max: number) => v.pipe(v.string(), v.maxLength(max));
const Millis = v.pipe(v.number(), v.finite(), v.minValue(0));
const DutyCycleSchema = v.pipe(
  v.number('the duty cycle must be a number'),
  v.finite('the duty cycle must be finite'),
  v.gtValue(0, 'the duty cycle must be in (0, 1]'),
  v.maxValue(1, 'the duty cycle must be in (0, 1]'),
);

/** One backend's figures from the start-up micro-benchmark. */
export const BackendMeasurementSchema = v.strictObject({
  backend: BackendNameSchema,
  available: v.boolean(),
  /** Why the backend is unavailable (or why its workload failed). */
  error: v.optional(ShortText(500)),
  /** Time per domain work unit (one `optimize` step on the domain's shapes), ms. */
  msPerStep: v.nullable(Millis),
  /** Throughput of a 512×512 float32 matmul, GFLOP/s. */
  matmulGflops: v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0))),
  /** tfjs tensors the warm-up run created (0: the workload is plain JS, so matmul decides). */
  warmupTensors: v.optional(UintSchema),
  /** Timing stopped early (too slow, or over the time budget): msPerStep is a lower bound. */
  truncated: v.optional(v.boolean()),
  /** Wall time this backend's measurement took (initialization, warm-up, timing), ms. */
  benchmarkMs: v.optional(Millis),
  /** WebGPU/WebGL: the adapter or renderer is a software (fallback) one such as SwiftShader. */
  fallbackAdapter: v.optional(v.boolean()),
  /** WebGPU adapter / WebGL renderer description. */
  adapter: v.optional(ShortText(300)),
});
export type BackendMeasurement = v.InferOutput<typeof BackendMeasurementSchema>;

/**
 * What the choice was based on: the domain workload's time per step, or (when the domain's work
 * is plain JS and does not touch tfjs, so every backend runs it alike) matmul throughput.
 */
export const ChoiceBasisSchema = v.picklist(['workload', 'matmul']);
export type ChoiceBasis = v.InferOutput<typeof ChoiceBasisSchema>;

export const DeviceInfoSchema = v.strictObject({
  /** sha256 of userAgent ‖ hardwareConcurrency ‖ gpu: remembered choices are keyed by it. */
  key: HashSchema,
  userAgent: ShortText(512),
  hardwareConcurrency: UintSchema,
  /** GPU adapter description (WebGPU adapter info, else the WebGL renderer), or 'none'. */
  gpu: ShortText(512),
});
export type DeviceInfo = v.InferOutput<typeof DeviceInfoSchema>;

/** A measured choice, remembered per device by the page (localStorage) and passed back in. */
export const RememberedChoiceSchema = v.strictObject({
  deviceKey: HashSchema,
  /** The domain whose workload was measured (a choice is per device and domain). */
  domainId: DomainIdSchema,
  backend: BackendNameSchema,
  basis: ChoiceBasisSchema,
  measuredAt: UintSchema,
  measurements: v.pipe(v.array(BackendMeasurementSchema), v.maxLength(BACKEND_NAMES.length)),
});
export type RememberedChoice = v.InferOutput<typeof RememberedChoiceSchema>;

// ---- arguments -------------------------------------------------------------------------------

export const InitOptionsSchema = v.strictObject({
  domainId: DomainIdSchema,
  /** `auto` (default) measures, or uses the remembered choice; a name overrides. */
  backend: v.optional(BackendRequestSchema, 'auto'),
  /** The page's remembered choice for this device, if any (ignored if the device differs). */
  remembered: v.optional(v.nullable(RememberedChoiceSchema), null),
  /** Backends to consider in `auto` mode, in measurement order. Default: wasm, webgpu, webgl, cpu. */
  candidates: v.optional(
    v.pipe(
      v.array(BackendNameSchema),
      v.minLength(1),
      v.maxLength(BACKEND_NAMES.length),
      v.check((a) => new Set(a).size === a.length, 'candidates must not repeat'),
    ),
  ),
  dutyCycle: v.optional(DutyCycleSchema, 1),
});
export type InitOptions = v.InferInput<typeof InitOptionsSchema>;
export type ParsedInitOptions = v.InferOutput<typeof InitOptionsSchema>;

/** A parameter vector: a standalone Float32Array (its own whole buffer, so it can be transferred). */
export const ParamsSchema = v.pipe(
  v.custom<Float32Array>((x) => x instanceof Float32Array, 'expected a Float32Array'),
  v.check((a) => a.length >= 1 && a.length <= LIMITS.maxParamCount, 'parameter count out of range'),
);

export const OptimizeArgsSchema = v.strictObject({
  /** The parameters to start from (the domain's current best), transferred. */
  params: ParamsSchema,
  paramsHash: HashSchema,
  budget: v.strictObject({
    steps: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1_000_000)),
    seed: HashSchema,
  }),
});
export type OptimizeArgs = v.InferOutput<typeof OptimizeArgsSchema>;

export const EvaluateArgsSchema = v.strictObject({
  params: ParamsSchema,
  paramsHash: HashSchema,
  seed: HashSchema,
});
export type EvaluateArgs = v.InferOutput<typeof EvaluateArgsSchema>;

export const InferArgsSchema = v.strictObject({
  params: ParamsSchema,
  paramsHash: HashSchema,
  /** Domain-specific; the domain validates it. */
  input: v.unknown(),
});
export type InferArgs = v.InferOutput<typeof InferArgsSchema>;

export const SetDutyCycleArgsSchema = DutyCycleSchema;

// ---- results and events ----------------------------------------------------------------------

export const OptimizeJobResultSchema = v.strictObject({
  jobId: UintSchema,
  domainId: DomainIdSchema,
  /** The candidate, transferred; its hash is recomputed by the receiver. */
  params: ParamsSchema,
  paramsHash: HashSchema,
  /** Hash of the parameters the job started from. */
  baseHash: HashSchema,
  /** The optimizer's own measurement (becomes the commit's claim). */
  metric: MetricSchema,
  steps: UintSchema,
  backend: BackendNameSchema,
  elapsedMs: Millis,
  /** Time spent computing (elapsed minus the duty-cycle sleeps). */
  busyMs: Millis,
  sleptMs: Millis,
});
export type OptimizeJobResult = v.InferOutput<typeof OptimizeJobResultSchema>;

export const EvaluateResultSchema = v.strictObject({
  domainId: DomainIdSchema,
  paramsHash: HashSchema,
  seed: HashSchema,
  metric: MetricSchema,
  backend: BackendNameSchema,
  elapsedMs: Millis,
});
export type EvaluateResult = v.InferOutput<typeof EvaluateResultSchema>;

export const InferResultSchema = v.strictObject({
  domainId: DomainIdSchema,
  paramsHash: HashSchema,
  output: v.unknown(),
  backend: BackendNameSchema,
  elapsedMs: Millis,
});
export type InferResult = v.InferOutput<typeof InferResultSchema>;

export const ExamplesSchema = v.pipe(
  v.array(
    v.strictObject({
      label: v.pipe(v.string(), v.maxLength(200)),
      input: v.unknown(),
      expected: v.optional(v.unknown()),
      series: v.optional(v.pipe(v.array(v.pipe(v.number(), v.finite())), v.maxLength(1_024))),
    }),
  ),
  v.maxLength(16),
);
export type Examples = v.InferOutput<typeof ExamplesSchema>;

export const InitialParamsSchema = v.strictObject({
  domainId: DomainIdSchema,
  params: ParamsSchema,
  paramsHash: HashSchema,
});
export type InitialParams = v.InferOutput<typeof InitialParamsSchema>;

export const ProgressEventSchema = v.strictObject({
  jobId: UintSchema,
  kind: v.literal('optimize'),
  fraction: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1)),
  elapsedMs: Millis,
  busyMs: Millis,
  sleptMs: Millis,
  dutyCycle: DutyCycleSchema,
});
export type ProgressEvent = v.InferOutput<typeof ProgressEventSchema>;

export const JobKindSchema = v.picklist(['optimize', 'evaluate', 'infer']);
export type JobKind = v.InferOutput<typeof JobKindSchema>;

export const WasmInfoSchema = v.strictObject({
  simd: v.boolean(),
  /** Multi-threaded WASM is possible (cross-origin isolated page with SharedArrayBuffer). */
  multithread: v.boolean(),
  /** Threads XNNPACK actually uses (tfjs picks hardwareConcurrency / 2). */
  threads: UintSchema,
});
export type WasmInfo = v.InferOutput<typeof WasmInfoSchema>;

export const ComputeStatusSchema = v.strictObject({
  ready: v.boolean(),
  domain: v.nullable(DomainDescriptorSchema),
  backend: v.nullable(BackendNameSchema),
  /** How the backend was chosen. */
  source: v.nullable(v.picklist(['measured', 'remembered', 'override'])),
  basis: v.nullable(ChoiceBasisSchema),
  device: v.nullable(DeviceInfoSchema),
  measurements: v.pipe(v.array(BackendMeasurementSchema), v.maxLength(BACKEND_NAMES.length)),
  /** A fresh measured choice for the page to remember for this device (null otherwise). */
  choice: v.nullable(RememberedChoiceSchema),
  dutyCycle: DutyCycleSchema,
  job: v.nullable(
    v.strictObject({
      id: UintSchema,
      kind: JobKindSchema,
      fraction: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1)),
    }),
  ),
  /** Jobs finished so far, whatever their outcome. */
  jobsDone: UintSchema,
  wasm: v.nullable(WasmInfoSchema),
  crossOriginIsolated: v.boolean(),
});
export type ComputeStatus = v.InferOutput<typeof ComputeStatusSchema>;

/**
 * The compute worker's API (exposed with Comlink). Every method validates its arguments and
 * rejects with a message naming the problem; nothing changes state on a rejected call.
 */
/** A CSV the user dropped into the page: parsed in the worker, never sent anywhere. */
export const LoadLocalDataArgsSchema = v.strictObject({
  csv: v.pipe(v.string(), v.maxLength(16 * 1024 * 1024, 'the file is larger than 16 MB')),
  /** The column to read, for domains that read one (e.g. a series). */
  column: v.optional(v.pipe(v.string(), v.maxLength(200))),
});
export type LoadLocalDataArgs = v.InferInput<typeof LoadLocalDataArgsSchema>;

export const LocalDataSummarySchema = v.strictObject({
  domainId: DomainIdSchema,
  rows: UintSchema,
  columns: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(1_000)),
});
export type LocalDataSummary = v.InferOutput<typeof LocalDataSummarySchema>;

export interface ComputeApi {
  /** The device description and key used to remember a backend choice. */
  describeDevice(): Promise<DeviceInfo>;
  /** Loads the domain and chooses the backend (override, remembered or measured). Once. */
  init(options: InitOptions): Promise<ComputeStatus>;
  status(): Promise<ComputeStatus>;
  /** The domain's deterministic starting parameters (the implicit best before any optimae). */
  initialParams(): Promise<InitialParams>;
  /** One job at a time; rejects with an AbortError if cancelled. */
  optimize(
    args: OptimizeArgs,
    onProgress?: (event: ProgressEvent) => void,
  ): Promise<OptimizeJobResult>;
  evaluate(args: EvaluateArgs): Promise<EvaluateResult>;
  infer(args: InferArgs): Promise<InferResult>;
  /** Up to `count` (≤ 16) ready-made inputs for the playground; empty if the domain has none. */
  examples(count: number): Promise<Examples>;
  /** Aborts the running optimize job; resolves once it has stopped (false if none was running). */
  cancel(): Promise<boolean>;
  /** Share of the time the worker computes, in (0, 1]; applies to the running job at once. */
  setDutyCycle(dutyCycle: number): Promise<number>;
  /**
   * Trains later optimize jobs on a local CSV instead of the domain's public data (evaluation
   * stays on the public seeded data). Refused with a clear error, changing nothing, if the file
   * does not fit the domain.
   */
  loadLocalData(args: LoadLocalDataArgs): Promise<LocalDataSummary>;
  /** Back to training on the domain's public data. */
  clearLocalData(): Promise<void>;
}
