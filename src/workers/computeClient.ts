/**
 * The page's handle on a compute worker: starts it, chooses its backend (remembering a measured
 * choice per device in localStorage), transfers parameter buffers to it and validates everything
 * that comes back: results against the schemas, and parameters against their recomputed sha256.
 * No tfjs here; TensorFlow.js loads in the worker only.
 */
import { proxy, type Remote, transfer, wrap } from 'comlink';
import { paramsHash } from '../core/hash';
import { parse } from '../core/schemas';
import {
  type BackendRequest,
  type ComputeApi,
  type ComputeStatus,
  ComputeStatusSchema,
  DeviceInfoSchema,
  type EvaluateResult,
  EvaluateResultSchema,
  type Examples,
  ExamplesSchema,
  type InferResult,
  InferResultSchema,
  type InitialParams,
  InitialParamsSchema,
  type LocalDataSummary,
  LocalDataSummarySchema,
  type OptimizeJobResult,
  OptimizeJobResultSchema,
  type ProgressEvent,
  ProgressEventSchema,
  parseBackendRequest,
  type RememberedChoice,
  RememberedChoiceSchema,
} from './computeProtocol';

/** The part of Web Storage the client needs (localStorage, or a test double). */
export interface ChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface ComputeClientOptions {
  readonly domainId: string;
  /** `auto` (default), a backend name, or a raw `?backend=` value (validated, clear error). */
  readonly backend?: BackendRequest | string | null;
  /** Where measured choices are remembered. Default: localStorage when available. */
  readonly storage?: ChoiceStorage | null;
  /** Use a remembered choice for this device instead of measuring (default true). */
  readonly useRemembered?: boolean;
  /** Initial duty cycle in (0, 1] (default 1). */
  readonly dutyCycle?: number;
  /** Worker name shown in devtools. */
  readonly name?: string;
}

export interface OptimizeOptions {
  readonly onProgress?: (event: ProgressEvent) => void;
  /**
   * The parameters' hash if the caller already knows it (e.g. the chain's best): saves hashing
   * them on the main thread. The worker recomputes it and refuses a mismatch.
   */
  readonly paramsHash?: string;
  /**
   * Transfer the caller's own buffer instead of a copy: zero-copy, but the caller's array is
   * detached (empty) afterwards. Only for standalone arrays (a view's buffer is never sent).
   */
  readonly transferInput?: boolean;
}

export interface ComputeClient {
  /** The status returned by init (backend, source, measurements, device). */
  readonly initStatus: ComputeStatus;
  status(): Promise<ComputeStatus>;
  initialParams(): Promise<InitialParams>;
  optimize(
    best: Float32Array,
    budget: { steps: number; seed: string },
    options?: OptimizeOptions,
  ): Promise<OptimizeJobResult>;
  evaluate(params: Float32Array, seed: string, options?: OptimizeOptions): Promise<EvaluateResult>;
  infer(params: Float32Array, input: unknown, options?: OptimizeOptions): Promise<InferResult>;
  /** Ready-made playground inputs from the domain (validated). */
  examples(count: number): Promise<Examples>;
  /** Aborts the running optimize job (it rejects with an AbortError); false if none ran. */
  cancel(): Promise<boolean>;
  setDutyCycle(dutyCycle: number): Promise<number>;
  /** Parses a local CSV in the worker and trains on it from now on (it never leaves the page). */
  loadLocalData(csv: string, column?: string): Promise<LocalDataSummary>;
  clearLocalData(): Promise<void>;
  /** Stops the worker (pending calls never settle). */
  terminate(): void;
  /** Why the worker failed (an uncaught error or an unreadable message), or null. */
  workerError(): string | null;
}

/** How connectCompute reaches the worker behind the API (none for an in-process engine). */
export interface WorkerHooks {
  readonly terminate?: () => void;
  readonly workerError?: () => string | null;
}

export const CHOICE_STORAGE_PREFIX = 'doin:backend-choice:';

export function choiceStorageKey(deviceKey: string, domainId: string): string {
  return `${CHOICE_STORAGE_PREFIX}${deviceKey}:${domainId}`;
}

function defaultStorage(): ChoiceStorage | null {
  try {
    return (globalThis as { localStorage?: ChoiceStorage }).localStorage ?? null;
  } catch {
    return null; // storage blocked (e.g. sandboxed iframe)
  }
}

function readChoice(
  storage: ChoiceStorage | null,
  deviceKey: string,
  domainId: string,
): RememberedChoice | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(choiceStorageKey(deviceKey, domainId));
    if (!raw) return null;
    const checked = parse(RememberedChoiceSchema, JSON.parse(raw));
    return checked.ok ? checked.value : null;
  } catch {
    return null;
  }
}

function writeChoice(storage: ChoiceStorage | null, choice: RememberedChoice): void {
  try {
    storage?.setItem(choiceStorageKey(choice.deviceKey, choice.domainId), JSON.stringify(choice));
  } catch {
    // quota or blocked storage: the choice is simply measured again next time
  }
}

function checked<T>(schema: Parameters<typeof parse>[0], value: unknown, what: string): T {
  const result = parse(schema, value);
  if (!result.ok) throw new Error(`the compute worker sent an invalid ${what}: ${result.error}`);
  return result.value as T;
}

/**
 * paramsHash (sha256 of the little-endian float32 bytes) off the main thread's JS where possible:
 * WebCrypto digests natively and asynchronously (secure contexts only); else core's paramsHash.
 */
export async function paramsHashAsync(params: Float32Array): Promise<string> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!subtle || !littleEndian) return paramsHash(params);
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  // digest() copies its input; a SharedArrayBuffer view is not accepted, so copy that first.
  const input = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  const digest = new Uint8Array(await subtle.digest('SHA-256', input as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A copy to send (or the caller's array itself when asked to and possible), and its hash. */
function outgoing(params: Float32Array, transferInput: boolean | undefined): Float32Array {
  if (!(params instanceof Float32Array)) throw new TypeError('parameters must be a Float32Array');
  const standalone =
    params.byteOffset === 0 &&
    params.byteLength === params.buffer.byteLength &&
    params.buffer instanceof ArrayBuffer;
  return transferInput && standalone ? params : params.slice();
}

/**
 * Wraps an already running compute API (a Comlink remote, or an engine in tests): chooses the
 * backend, remembers a measured choice, and validates every answer.
 */
export async function connectCompute(
  remote: ComputeApi | Remote<ComputeApi>,
  options: ComputeClientOptions,
  hooks: WorkerHooks = {},
): Promise<ComputeClient> {
  const api = remote as ComputeApi;
  const backend = parseBackendRequest(options.backend ?? 'auto');
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  const device = checked<{ key: string }>(DeviceInfoSchema, await api.describeDevice(), 'device');
  const remembered =
    options.useRemembered === false ? null : readChoice(storage, device.key, options.domainId);
  const initStatus = checked<ComputeStatus>(
    ComputeStatusSchema,
    await api.init({
      domainId: options.domainId,
      backend,
      remembered,
      ...(options.dutyCycle !== undefined ? { dutyCycle: options.dutyCycle } : {}),
    }),
    'status',
  );
  if (initStatus.source === 'measured' && initStatus.choice)
    writeChoice(storage, initStatus.choice);

  const domainId = options.domainId;
  const verifyParams = async (params: Float32Array, hash: string, what: string) => {
    const actual = await paramsHashAsync(params);
    if (actual !== hash) {
      throw new Error(`the compute worker's ${what} do not match their hash (${actual} ≠ ${hash})`);
    }
  };

  return {
    initStatus,
    async status() {
      return checked<ComputeStatus>(ComputeStatusSchema, await api.status(), 'status');
    },
    async initialParams() {
      const result = checked<InitialParams>(
        InitialParamsSchema,
        await api.initialParams(),
        'initial parameters',
      );
      if (result.domainId !== domainId)
        throw new Error('the compute worker answered for another domain');
      await verifyParams(result.params, result.paramsHash, 'initial parameters');
      return result;
    },
    async optimize(best, budget, opts = {}) {
      const params = outgoing(best, opts.transferInput);
      const hash = opts.paramsHash ?? (await paramsHashAsync(params));
      const onProgress = opts.onProgress;
      const listener = onProgress
        ? proxy((event: unknown) => {
            const ok = parse(ProgressEventSchema, event);
            if (ok.ok) onProgress(ok.value);
          })
        : undefined;
      const args = { params, paramsHash: hash, budget: { steps: budget.steps, seed: budget.seed } };
      const raw = await api.optimize(transfer(args, [params.buffer]), listener);
      const result = checked<OptimizeJobResult>(OptimizeJobResultSchema, raw, 'optimize result');
      if (result.domainId !== domainId)
        throw new Error('the compute worker answered for another domain');
      if (result.baseHash !== hash)
        throw new Error('the optimize result was built on other parameters');
      await verifyParams(result.params, result.paramsHash, 'optimized parameters');
      return result;
    },
    async evaluate(params, seed, opts = {}) {
      const sent = outgoing(params, opts.transferInput);
      const hash = opts.paramsHash ?? (await paramsHashAsync(sent));
      const raw = await api.evaluate(
        transfer({ params: sent, paramsHash: hash, seed }, [sent.buffer]),
      );
      const result = checked<EvaluateResult>(EvaluateResultSchema, raw, 'evaluate result');
      if (result.paramsHash !== hash || result.seed !== seed || result.domainId !== domainId) {
        throw new Error('the evaluate result is for other parameters, seed or domain');
      }
      return result;
    },
    async infer(params, input, opts = {}) {
      const sent = outgoing(params, opts.transferInput);
      const hash = opts.paramsHash ?? (await paramsHashAsync(sent));
      const raw = await api.infer(
        transfer({ params: sent, paramsHash: hash, input }, [sent.buffer]),
      );
      const result = checked<InferResult>(InferResultSchema, raw, 'infer result');
      if (result.paramsHash !== hash || result.domainId !== domainId) {
        throw new Error('the infer result is for other parameters or another domain');
      }
      return result;
    },
    async examples(count) {
      return checked<Examples>(ExamplesSchema, await api.examples(count), 'examples');
    },
    async cancel() {
      const result: unknown = await api.cancel();
      if (typeof result !== 'boolean')
        throw new Error('the compute worker sent an invalid cancel answer');
      return result;
    },
    async setDutyCycle(dutyCycle) {
      const result: unknown = await api.setDutyCycle(dutyCycle);
      if (typeof result !== 'number')
        throw new Error('the compute worker sent an invalid duty cycle');
      return result;
    },
    async loadLocalData(csv, column) {
      const result = parse(
        LocalDataSummarySchema,
        await api.loadLocalData(column === undefined ? { csv } : { csv, column }),
      );
      if (!result.ok)
        throw new Error(`the compute worker sent an invalid summary: ${result.error}`);
      return result.value;
    },
    clearLocalData: () => api.clearLocalData(),
    terminate: () => hooks.terminate?.(),
    workerError: () => hooks.workerError?.() ?? null,
  };
}

/**
 * Starts a compute worker for one domain and resolves once its backend is chosen. Rejects (and
 * stops the worker) if the backend override is invalid or unavailable, or the domain is unknown.
 */
export async function startComputeClient(options: ComputeClientOptions): Promise<ComputeClient> {
  // Validate the override before starting anything.
  parseBackendRequest(options.backend ?? 'auto');
  const worker = new Worker(new URL('./compute.worker.ts', import.meta.url), {
    type: 'module',
    name: options.name ?? `doin-compute-${options.domainId}`,
  });
  const remote = wrap<ComputeApi>(worker);
  let failure: string | null = null;
  let rejectStart: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    rejectStart = reject;
  });
  failed.catch(() => {});
  const fail = (why: string) => {
    failure ??= why;
    rejectStart(new Error(why));
  };
  worker.addEventListener('error', (event) => {
    fail(`the compute worker failed: ${event.message || 'script error'}`);
  });
  worker.addEventListener('messageerror', () => {
    fail('the compute worker sent a message that could not be read');
  });
  try {
    return await Promise.race([
      connectCompute(remote, options, {
        terminate: () => worker.terminate(),
        workerError: () => failure,
      }),
      failed,
    ]);
  } catch (err) {
    worker.terminate();
    throw err;
  }
}
