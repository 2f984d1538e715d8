/**
 * The compute bench page: starts a compute worker for one domain (backend chosen by measurement
 * unless overridden), then runs a short optimize and evaluates before and after. Exposes
 * `window.doinBench.run(options)` for tests and the benchmark script; `?run=1` runs on load.
 */

import { buildDevChain, devKeys } from '../src/core/devChain';
import type { Block } from '../src/core/schemas';
import { LOCAL_TESTNET } from '../src/node/networks';
import { startComputeClient } from '../src/workers/computeClient';
import type { ComputeStatus } from '../src/workers/computeProtocol';

export interface BenchOptions {
  domainId?: string;
  /** `auto` (default) or a backend name (same as `?backend=`). */
  backend?: string;
  /** Use a remembered choice for this device (default false: the bench always measures). */
  useRemembered?: boolean;
  steps?: number;
  seed?: string;
  dutyCycle?: number;
  /** Also start a long optimize, cancel it at its first progress event, and report how it ended. */
  checkCancel?: boolean;
}

export interface BenchResult {
  status: ComputeStatus;
  domainId: string;
  direction: 'minimize' | 'maximize';
  initMs: number;
  optimize: {
    steps: number;
    ms: number;
    claimedMetric: number;
    paramsHash: string;
    baseHash: string;
    busyMs: number;
    sleptMs: number;
    progressEvents: number;
  };
  evaluate: { before: number; after: number; ms: number };
  improved: boolean;
  /** With checkCancel: the cancelled job's rejection and the worker's state afterwards. */
  cancel: { errorName: string; message: string; ms: number; jobAfter: unknown } | null;
  /** Longest main-thread task seen while the worker ran (PerformanceObserver longtask), ms. */
  longestTaskMs: number | null;
}

declare global {
  interface Window {
    doinBench: {
      run(options?: BenchOptions): Promise<BenchResult>;
      devChain(length: number, label?: string): { blocks: Block[]; hashes: string[] };
    };
  }
}

const DEFAULT_SEED = `b0${'00'.repeat(31)}`;

function watchLongTasks(): { longest: () => number | null; stop: () => void } {
  let longest: number | null = null;
  try {
    if (!PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
      return { longest: () => null, stop: () => {} };
    }
    longest = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longest = Math.max(longest ?? 0, entry.duration);
    });
    observer.observe({ type: 'longtask', buffered: false });
    return { longest: () => longest, stop: () => observer.disconnect() };
  } catch {
    return { longest: () => null, stop: () => {} };
  }
}

async function run(options: BenchOptions = {}): Promise<BenchResult> {
  const domainId = options.domainId ?? 'quadratic-16';
  const seed = options.seed ?? DEFAULT_SEED;
  const steps = options.steps ?? 50;
  const longTasks = watchLongTasks();
  const t0 = performance.now();
  const client = await startComputeClient({
    domainId,
    backend: options.backend ?? 'auto',
    useRemembered: options.useRemembered ?? false,
    ...(options.dutyCycle !== undefined ? { dutyCycle: options.dutyCycle } : {}),
  });
  try {
    const initMs = performance.now() - t0;
    const status = client.initStatus;
    const direction = status.domain?.direction ?? 'minimize';
    const start = await client.initialParams();
    const tb = performance.now();
    const before = await client.evaluate(start.params, seed);
    const to = performance.now();
    let progressEvents = 0;
    const optimized = await client.optimize(
      start.params,
      { steps, seed },
      {
        onProgress: () => {
          progressEvents++;
        },
      },
    );
    const ta = performance.now();
    const after = await client.evaluate(optimized.params, seed);
    const te = performance.now();
    let cancel: BenchResult['cancel'] = null;
    if (options.checkCancel) {
      const tc = performance.now();
      let requested = false;
      const job = client.optimize(
        start.params,
        { steps: 1_000_000, seed },
        {
          onProgress: () => {
            if (!requested) {
              requested = true;
              void client.cancel();
            }
          },
        },
      );
      const err = await job.then(
        () => new Error('the job was not cancelled'),
        (e: unknown) => e as Error,
      );
      cancel = {
        errorName: err.name,
        message: err.message,
        ms: performance.now() - tc,
        jobAfter: (await client.status()).job,
      };
    }
    const improved =
      direction === 'minimize' ? after.metric < before.metric : after.metric > before.metric;
    return {
      status: await client.status(),
      domainId,
      direction,
      initMs,
      optimize: {
        steps,
        ms: ta - to,
        claimedMetric: optimized.metric,
        paramsHash: optimized.paramsHash,
        baseHash: optimized.baseHash,
        busyMs: optimized.busyMs,
        sleptMs: optimized.sleptMs,
        progressEvents,
      },
      evaluate: { before: before.metric, after: after.metric, ms: (to - tb + (te - ta)) / 2 },
      improved,
      cancel,
      longestTaskMs: longTasks.longest(),
    };
  } finally {
    longTasks.stop();
    client.terminate();
  }
}

/** A valid chain of the local test net, for the network benchmark (built here: it is TypeScript). */
function devChain(length: number, label = 'bench'): { blocks: Block[]; hashes: string[] } {
  const chain = buildDevChain(LOCAL_TESTNET, { length, keys: devKeys(5, label) });
  return { blocks: chain.blocks, hashes: chain.hashes };
}

window.doinBench = { run, devChain };

const out = document.getElementById('out');
const params = new URLSearchParams(location.search);
if (params.get('run') === '1' && out) {
  out.textContent = 'running…';
  run({
    domainId: params.get('domain') ?? 'quadratic-16',
    backend: params.get('backend') ?? 'auto',
  }).then(
    (result) => {
      out.textContent = JSON.stringify(result, null, 2);
    },
    (err: unknown) => {
      out.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
    },
  );
}
