/**
 * What crosses the boundary between the page and the simulation worker. The page validates
 * every snapshot it receives against this schema (a worker is an input like any other).
 */
import * as v from 'valibot';
import {
  AccountIdSchema,
  DomainIdSchema,
  HashSchema,
  MetricSchema,
  UintSchema,
} from '../core/schemas';

export const SimulationOptionsSchema = v.strictObject({
  virtualPeers: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(16)),
  targetBlockTimeMs: v.pipe(v.number(), v.safeInteger(), v.minValue(500), v.maxValue(600_000)),
  roundIntervalMs: v.pipe(v.number(), v.safeInteger(), v.minValue(50), v.maxValue(60_000)),
});
export type SimulationOptions = v.InferOutput<typeof SimulationOptionsSchema>;

export const SimulationSnapshotSchema = v.strictObject({
  /** Increases with every snapshot: pushed and returned snapshots may arrive out of order. */
  seq: UintSchema,
  peerId: AccountIdSchema,
  head: v.strictObject({ height: UintSchema, hash: HashSchema }),
  domains: v.pipe(
    v.array(v.strictObject({ id: DomainIdSchema, best: MetricSchema })),
    v.maxLength(32),
  ),
  balance: UintSchema,
  contributing: v.boolean(),
  virtualPeers: UintSchema,
  error: v.nullable(v.pipe(v.string(), v.maxLength(500))),
});
export type SimulationSnapshot = v.InferOutput<typeof SimulationSnapshotSchema>;

/** The worker's API (exposed with Comlink). */
export interface SimulationApi {
  init(
    options: SimulationOptions,
    onSnapshot: (snapshot: SimulationSnapshot) => void,
  ): Promise<SimulationSnapshot>;
  start(): Promise<SimulationSnapshot>;
  stop(): Promise<SimulationSnapshot>;
  infer(domainId: string, input: unknown): Promise<unknown>;
}
