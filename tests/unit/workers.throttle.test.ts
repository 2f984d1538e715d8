import { describe, expect, it } from 'vitest';
import { abortError, isAbortError, Pacer } from '../../src/workers/throttle';

/** A fake clock and a sleep that only records what it was asked for (and advances the clock). */
function fakeTime() {
  let t = 1_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    work: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    total: () => sleeps.reduce((a, b) => a + b, 0),
  };
}

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 9);

describe('Pacer: the duty cycle', () => {
  it.each([
    [1, 0],
    [0.5, 1],
    [0.25, 3],
    [0.1, 9],
    [0.8, 0.25],
  ])('at duty %f sleeps busy × (1 − d) / d (= %f × busy)', async (duty, ratio) => {
    const time = fakeTime();
    const pacer = new Pacer({
      dutyCycle: duty,
      now: time.now,
      sleep: time.sleep,
      minSleepMs: 0,
      yieldEveryMs: Number.POSITIVE_INFINITY,
    });
    const busy = [10, 3, 7, 20, 0.5];
    for (const ms of busy) {
      time.work(ms);
      await pacer.pace();
    }
    const busyTotal = busy.reduce((a, b) => a + b, 0);
    close(time.total(), busyTotal * ratio);
    close(pacer.stats.busyMs, busyTotal);
    close(pacer.stats.sleptMs, busyTotal * ratio);
    expect(pacer.stats.paces).toBe(busy.length);
    // Each sleep answers the busy time just before it, not the sleep before.
    if (ratio > 0) {
      for (const [i, ms] of busy.entries()) close(time.sleeps[i] as number, ms * ratio);
    } else expect(time.sleeps).toEqual([]);
    // Sleeping is not counted as busy time: the share of computing is the duty cycle.
    close(busyTotal / (busyTotal + time.total()), duty);
  });

  it('carries small sleeps over so tiny steps pay no timer minimum, keeping the totals', async () => {
    const time = fakeTime();
    const pacer = new Pacer({
      dutyCycle: 0.5,
      now: time.now,
      sleep: time.sleep,
      minSleepMs: 4,
      yieldEveryMs: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 10; i++) {
      time.work(1);
      await pacer.pace();
    }
    expect(time.sleeps).toEqual([4, 4]); // 10 ms owed: 8 slept, 2 carried to the next call
    time.work(2);
    await pacer.pace();
    expect(time.sleeps).toEqual([4, 4, 4]);
    close(time.total(), 12);
  });

  it('applies a new duty cycle from the next call on, and refuses invalid ones', async () => {
    const time = fakeTime();
    const pacer = new Pacer({ dutyCycle: 1, now: time.now, sleep: time.sleep, minSleepMs: 0 });
    time.work(10);
    await pacer.pace();
    pacer.setDutyCycle(0.5);
    time.work(10);
    await pacer.pace();
    pacer.setDutyCycle(0.2);
    time.work(10);
    await pacer.pace();
    expect(time.sleeps).toEqual([10, 40]);
    expect(pacer.dutyCycle).toBe(0.2);
    for (const bad of [0, -0.5, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => pacer.setDutyCycle(bad)).toThrow(/duty cycle must be/);
      expect(() => new Pacer({ dutyCycle: bad })).toThrow(RangeError);
    }
    expect(pacer.dutyCycle).toBe(0.2);
  });

  it('at full duty still yields to the event loop now and then (sleep 0) so messages get in', async () => {
    const time = fakeTime();
    const pacer = new Pacer({ now: time.now, sleep: time.sleep, yieldEveryMs: 25 });
    for (let i = 0; i < 10; i++) {
      time.work(10);
      await pacer.pace();
    }
    expect(time.sleeps).toEqual([0, 0, 0]); // after 30, 60 and 90 ms of work
  });
});

describe('Pacer: cancellation', () => {
  it('throws an AbortError at once when the signal was aborted, without sleeping', async () => {
    const time = fakeTime();
    const controller = new AbortController();
    const pacer = new Pacer({ dutyCycle: 0.5, signal: controller.signal, ...time, minSleepMs: 0 });
    time.work(10);
    await pacer.pace();
    controller.abort(abortError(undefined, 'job 7 was cancelled'));
    time.work(10);
    const err = await pacer.pace().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect((err as Error).message).toBe('job 7 was cancelled');
    expect(time.sleeps).toEqual([10]);
  });

  it('interrupts a sleep in progress: the abort wins even if the sleep never ends', async () => {
    let now = 0;
    const requested: number[] = [];
    const neverEnding = (ms: number) => {
      requested.push(ms);
      return new Promise<void>(() => {});
    };
    const controller = new AbortController();
    const pacer = new Pacer({
      dutyCycle: 0.01,
      signal: controller.signal,
      now: () => now,
      sleep: neverEnding,
      minSleepMs: 0,
    });
    now += 50;
    const pending = pacer.pace();
    let outcome: unknown = 'pending';
    pending.then(
      () => {
        outcome = 'resolved';
      },
      (e: unknown) => {
        outcome = e;
      },
    );
    await Promise.resolve();
    expect(requested).toEqual([50 * 99]);
    expect(outcome).toBe('pending');
    controller.abort();
    // Settled within microtasks: no timers involved.
    for (let i = 0; i < 5 && outcome === 'pending'; i++) await Promise.resolve();
    expect(isAbortError(outcome)).toBe(true);
  });

  it('uses an AbortError reason as is, and makes one for any other reason', () => {
    const own = abortError(undefined, 'x');
    expect(isAbortError(own)).toBe(true);
    const c1 = new AbortController();
    c1.abort(own);
    expect(abortError(c1.signal)).toBe(own);
    const c2 = new AbortController();
    c2.abort('not an error');
    expect(isAbortError(abortError(c2.signal))).toBe(true);
  });
});
