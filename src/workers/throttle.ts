/**
 * Duty-cycle throttling and cancellation for compute jobs. A domain awaits `pacer.pace()` between
 * its steps (OptimizeBudget.pace); the pacer measures how long the job computed since the last
 * call and sleeps so that computing takes a share `d` of the time: busy × (1 − d) / d. It throws an
 * AbortError as soon as the job's signal is aborted, also in the middle of a sleep. Clock and
 * sleep are injected so tests are deterministic.
 */

export type Clock = () => number;
/** Resolves after `ms` milliseconds; may reject early when `signal` is aborted. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface PacerOptions {
  /** Share of wall time spent computing, in (0, 1]. Default 1 (never sleeps). */
  readonly dutyCycle?: number;
  readonly signal?: AbortSignal;
  /** Milliseconds, monotonic. Default: performance.now. */
  readonly now?: Clock;
  readonly sleep?: Sleep;
  /**
   * Sleep debt below this is carried over to the next call instead of slept now, so tiny steps
   * do not pay a timer's minimum delay each time (browsers clamp nested timers to ~4 ms). The
   * totals still match the duty cycle. Default 4 ms; 0 sleeps at every call.
   */
  readonly minSleepMs?: number;
  /**
   * With nothing to sleep, still yield to the event loop after this much busy time so that
   * messages (cancel, a new duty cycle) reach the worker during a long job. Default 25 ms.
   */
  readonly yieldEveryMs?: number;
}

export interface PacerStats {
  /** Computing time measured between calls. */
  readonly busyMs: number;
  /** Total sleep requested for the duty cycle. */
  readonly sleptMs: number;
  readonly paces: number;
}

export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
  );
}

/** The AbortError to throw for `signal`: its reason if that is one, else a fresh one. */
export function abortError(signal?: AbortSignal, message = 'the job was cancelled'): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && isAbortError(reason)) return reason;
  const err = new DOMException(message, 'AbortError');
  // DOMException is an Error in browsers and Node >= 17; keep the shape either way.
  return err as unknown as Error;
}

export function throwIfAborted(signal?: AbortSignal, message?: string): void {
  if (signal?.aborted) throw abortError(signal, message);
}

export function checkDutyCycle(dutyCycle: number): number {
  if (typeof dutyCycle !== 'number' || !Number.isFinite(dutyCycle)) {
    throw new RangeError(`the duty cycle must be a finite number in (0, 1], got ${dutyCycle}`);
  }
  if (dutyCycle <= 0 || dutyCycle > 1) {
    throw new RangeError(`the duty cycle must be in (0, 1], got ${dutyCycle}`);
  }
  return dutyCycle;
}

const defaultNow: Clock = () => performance.now();

/** Lets queued messages and timers run, without the ~4 ms clamp of nested setTimeout(0). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediateFn = g.setImmediate;
    return new Promise((resolve) => void setImmediateFn(resolve));
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Real sleep: a timer (or a bare yield for 0 ms) that rejects at once when aborted. */
export const defaultSleep: Sleep = (ms, signal) => {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return yieldToEventLoop();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
};

/** Rejects as soon as `signal` aborts, whatever `promise` does. */
function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export class Pacer {
  private duty: number;
  private readonly signal: AbortSignal | undefined;
  private readonly now: Clock;
  private readonly sleep: Sleep;
  private readonly minSleepMs: number;
  private readonly yieldEveryMs: number;
  private mark: number;
  private debtMs = 0;
  private sinceYieldMs = 0;
  private busyTotal = 0;
  private sleptTotal = 0;
  private paceCount = 0;

  constructor(options: PacerOptions = {}) {
    this.duty = checkDutyCycle(options.dutyCycle ?? 1);
    this.signal = options.signal;
    this.now = options.now ?? defaultNow;
    this.sleep = options.sleep ?? defaultSleep;
    this.minSleepMs = Math.max(0, options.minSleepMs ?? 4);
    this.yieldEveryMs = Math.max(0, options.yieldEveryMs ?? 25);
    this.mark = this.now();
  }

  get dutyCycle(): number {
    return this.duty;
  }

  /** Takes effect at the next `pace()` (also in the middle of a job). */
  setDutyCycle(dutyCycle: number): void {
    this.duty = checkDutyCycle(dutyCycle);
  }

  get stats(): PacerStats {
    return { busyMs: this.busyTotal, sleptMs: this.sleptTotal, paces: this.paceCount };
  }

  /** Starts the busy-time measurement afresh (e.g. after setup that should not count). */
  restart(): void {
    this.mark = this.now();
  }

  /**
   * Call between steps: sleeps busy × (1 − d) / d for the time computed since the last call
   * (carrying small amounts over), yields to the event loop now and then, and throws an
   * AbortError if the job was cancelled (immediately, also while sleeping).
   */
  readonly pace = async (): Promise<void> => {
    throwIfAborted(this.signal);
    const t = this.now();
    const busy = Math.max(0, t - this.mark);
    this.busyTotal += busy;
    this.sinceYieldMs += busy;
    this.paceCount++;
    if (this.duty < 1) this.debtMs += (busy * (1 - this.duty)) / this.duty;
    let ms = 0;
    if (this.debtMs > 0 && this.debtMs >= this.minSleepMs) {
      ms = this.debtMs;
      this.debtMs = 0;
    }
    if (ms > 0 || this.sinceYieldMs >= this.yieldEveryMs) {
      this.sinceYieldMs = 0;
      this.sleptTotal += ms;
      await raceAbort(this.sleep(ms, this.signal), this.signal);
      throwIfAborted(this.signal);
    }
    this.mark = this.now();
  };
}
