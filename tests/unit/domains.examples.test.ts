/**
 * Playground examples (DomainPlugin.examples, served by the compute engine): plain data that
 * passes the worker protocol's schema, is deterministic, and is what the domain's own data says.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/core/schemas';
import { bostonHousingDomain } from '../../src/domains/bostonHousing';
import { MACKEY_GLASS, mackeyGlassDomain } from '../../src/domains/mackeyGlass';
import { quadraticDomain } from '../../src/domains/quadratic';
import { createComputeEngine } from '../../src/workers/computeEngine';
import { ExamplesSchema } from '../../src/workers/computeProtocol';

describe('domain examples', () => {
  it('mackey-glass: the input window opens the series and the expected value follows it', () => {
    const examples = mackeyGlassDomain.examples?.(3) ?? [];
    expect(examples).toHaveLength(3);
    for (const e of examples) {
      const series = e.series as readonly number[];
      expect(series.length).toBeGreaterThan(MACKEY_GLASS.window + 1);
      expect(e.input).toEqual({ window: series.slice(0, MACKEY_GLASS.window) });
      expect(e.expected).toEqual({ next: series[MACKEY_GLASS.window] });
    }
    expect(mackeyGlassDomain.examples?.(3)).toEqual(examples); // deterministic
    expect(parse(ExamplesSchema, examples).ok).toBe(true);
  });

  it('boston-housing: held-out rows as feature objects with their true medv', () => {
    const examples = bostonHousingDomain.examples?.(4) ?? [];
    expect(examples).toHaveLength(4);
    for (const e of examples) {
      expect(Object.keys(e.input as object)).toHaveLength(13);
      expect(e.input).not.toHaveProperty('medv');
      expect((e.expected as { medv: number }).medv).toBeGreaterThan(0);
    }
    expect(parse(ExamplesSchema, examples).ok).toBe(true);
  });

  it('the engine serves them validated, and refuses a bad count without a change', async () => {
    const engine = createComputeEngine({
      measure: { workloadMs: 20, matmulMs: 10, matmulSize: 64 },
      progressIntervalMs: 0,
    });
    await expect(engine.examples(2)).rejects.toThrow(/init/i);
    await engine.init({ domainId: quadraticDomain.descriptor.id, backend: 'cpu' });
    const examples = await engine.examples(2);
    expect(examples).toHaveLength(2);
    expect(examples[0]?.input).toHaveLength(16);
    for (const bad of [0, 17, 1.5, Number.NaN]) {
      await expect(engine.examples(bad)).rejects.toThrow(/examples count/);
    }
    // An example input is something infer accepts.
    const params = quadraticDomain.initialParams();
    expect(typeof (await quadraticDomain.infer(params, examples[0]?.input as number[]))).toBe(
      'number',
    );
  });
});
