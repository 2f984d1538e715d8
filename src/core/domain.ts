/**
 * The domain plugin interface: what the network can optimize. Core only defines the contract
 * and a registry; src/domains holds the implementations (tfjs models live there, not here).
 */
import type { Hash } from './hash';
import { type DomainDescriptor, DomainDescriptorSchema, parse } from './schemas';

export interface OptimizeBudget {
  /** Work units to spend (a domain defines its unit: epochs, candidate draws, …). */
  readonly steps: number;
  /** Seed for the optimizer's own randomness and training data. */
  readonly seed: Hash;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
  /**
   * Awaited by the domain between steps: the worker runtime sleeps here to honour the duty
   * cycle (GPU share) and throws here when the job is cancelled.
   */
  readonly pace?: () => Promise<void>;
}

export interface OptimizeResult {
  readonly params: Float32Array;
  /** The optimizer's own measurement: becomes the commit's claim, which evaluators check. */
  readonly metric: number;
}

export interface DomainPlugin<Input = unknown, Output = unknown> {
  /** On-chain description: id, metric and direction, default weight, tolerance, shape. */
  readonly descriptor: DomainDescriptor;
  /** Deterministic starting parameters: the implicit best before any optimae is verified. */
  initialParams(): Float32Array;
  /** Trains from `best` and returns a candidate (not necessarily better). */
  optimize(best: Float32Array, budget: OptimizeBudget): Promise<OptimizeResult>;
  /** Metric of `params` on data generated from `seed`: deterministic for one seed and backend. */
  evaluate(params: Float32Array, seed: Hash): Promise<number>;
  infer(params: Float32Array, input: Input): Promise<Output>;
  /** Ready-made inputs for people trying the model (plain data), e.g. from the domain's data. */
  examples?(count: number): DomainExample[];
}

export interface DomainExample {
  readonly label: string;
  readonly input: unknown;
  /** The true answer when the example comes from data. */
  readonly expected?: unknown;
  /** For time series: the stretch the input window was cut from (window first, then after). */
  readonly series?: readonly number[];
}

export class DomainRegistry {
  private readonly plugins = new Map<string, DomainPlugin>();

  register(plugin: DomainPlugin): void {
    const checked = parse(DomainDescriptorSchema, plugin.descriptor);
    if (!checked.ok) throw new Error(`invalid domain descriptor: ${checked.error}`);
    if (this.plugins.has(plugin.descriptor.id)) {
      throw new Error(`domain ${plugin.descriptor.id} is already registered`);
    }
    this.plugins.set(plugin.descriptor.id, plugin);
  }

  get(id: string): DomainPlugin | undefined {
    return this.plugins.get(id);
  }

  list(): DomainPlugin[] {
    return [...this.plugins.values()];
  }

  descriptors(): DomainDescriptor[] {
    return this.list().map((p) => p.descriptor);
  }
}

/** The process-wide registry that built-in domains add themselves to. */
export const domainRegistry = new DomainRegistry();
