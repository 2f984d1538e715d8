import { describe, expect, it } from 'vitest';
import { type DomainPlugin, DomainRegistry } from '../../src/core/domain';
import { hashTagged } from '../../src/core/hash';
import { domainRegistry, quadraticDomain } from '../../src/domains/index';

describe('domain registry', () => {
  it('holds the built-in domains after src/domains is imported', () => {
    expect(domainRegistry.get('quadratic-16')).toBe(quadraticDomain);
    expect(domainRegistry.descriptors().map((d) => d.id)).toContain('quadratic-16');
  });

  it('refuses duplicates and invalid descriptors', () => {
    const registry = new DomainRegistry();
    registry.register(quadraticDomain);
    expect(() => registry.register(quadraticDomain)).toThrow(/already registered/);
    const bad: DomainPlugin = {
      ...quadraticDomain,
      descriptor: { ...quadraticDomain.descriptor, id: 'Not Valid!' },
    };
    expect(() => registry.register(bad)).toThrow(/invalid domain descriptor/);
    expect(registry.list()).toHaveLength(1);
  });
});

describe('quadratic domain', () => {
  const seed = (n: number) => hashTagged('test/seed', n);

  it('starts from its declared initial best and optimizes downhill', async () => {
    const initial = quadraticDomain.initialParams();
    expect(await quadraticDomain.evaluate(initial, seed(1))).toBe(
      quadraticDomain.descriptor.initialBest,
    );
    const result = await quadraticDomain.optimize(initial, { steps: 5, seed: seed(2) });
    expect(result.metric).toBeLessThan(quadraticDomain.descriptor.initialBest);
    expect(await quadraticDomain.evaluate(result.params, seed(3))).toBe(result.metric);
  });

  it('is deterministic for a seed and honours cancellation', async () => {
    const initial = quadraticDomain.initialParams();
    const a = await quadraticDomain.optimize(initial, { steps: 3, seed: seed(4) });
    const b = await quadraticDomain.optimize(initial, { steps: 3, seed: seed(4) });
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      quadraticDomain.optimize(initial, { steps: 3, seed: seed(4), signal: controller.signal }),
    ).rejects.toThrow('stop');
  });

  it('validates inference input', async () => {
    const params = quadraticDomain.initialParams();
    expect(await quadraticDomain.infer(params, new Array(16).fill(0))).toBe(0);
    await expect(quadraticDomain.infer(params, [1, 2])).rejects.toThrow(/16 inputs/);
  });
});
