import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from '../../src/core/schemas';
import { createSimulationEngine } from '../../src/workers/simulationEngine';
import {
  type SimulationSnapshot,
  SimulationSnapshotSchema,
} from '../../src/workers/simulationProtocol';

function environment() {
  let counter = 0;
  return {
    clock: () => Date.now(),
    randomBytes: (n: number) => sha256(Uint8Array.of(counter++)).slice(0, n),
  };
}

const options = { virtualPeers: 3, targetBlockTimeMs: 5_000, roundIntervalMs: 1_000 };

describe('the simulation engine behind the page worker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses invalid options and calls before init', async () => {
    const engine = createSimulationEngine(environment());
    await expect(engine.start()).rejects.toThrow(/not initialised/);
    await expect(engine.init({ ...options, virtualPeers: 0 }, () => {})).rejects.toThrow(
      /invalid simulation options: virtualPeers/,
    );
    await expect(
      engine.init({ ...options, extra: 1 } as unknown as typeof options, () => {}),
    ).rejects.toThrow(/invalid simulation options/);
  });

  it('makes blocks while started, publishes ordered valid snapshots, and stops', async () => {
    vi.useFakeTimers({ now: 1_767_225_600_000 });
    const pushed: SimulationSnapshot[] = [];
    const engine = createSimulationEngine(environment());
    const first = await engine.init(options, (s) => pushed.push(s));
    expect(first.head.height).toBe(0);
    expect(first.contributing).toBe(false);

    expect((await engine.start()).contributing).toBe(true);
    for (let i = 0; i < 12 && (pushed.at(-1)?.head.height ?? 0) < 2; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
    }
    const last = pushed.at(-1) as SimulationSnapshot;
    expect(last.head.height).toBeGreaterThanOrEqual(2);
    expect(last.error).toBeNull();
    expect(last.balance).toBeGreaterThan(0);
    expect(last.domains[0]?.best).toBeLessThan(first.domains[0]?.best as number);
    for (const s of pushed) expect(parse(SimulationSnapshotSchema, s).ok).toBe(true);
    const seqs = pushed.map((s) => s.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const stopped = await engine.stop();
    expect(stopped.contributing).toBe(false);
    expect(stopped.seq).toBeGreaterThan(last.seq);
    const count = pushed.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pushed.length).toBe(count);

    expect(typeof (await engine.infer('quadratic-16', new Array(16).fill(0)))).toBe('number');
    await expect(engine.infer('nope', [])).rejects.toThrow(/unknown domain/);
  }, 60_000);
});
