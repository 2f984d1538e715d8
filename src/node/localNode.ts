/**
 * The page's participant for now: a local simulation running in a Web Worker (this node and a
 * few virtual peers run the real src/core protocol in memory), so the page shows an identity
 * and a chain that grows while contributing, without blocking the main thread. Networking,
 * storage and training workers replace the internals in later issues; the automation surface
 * (api.ts) stays.
 */
import { proxy, type Remote, wrap } from 'comlink';
import { parse } from '../core/schemas';
import {
  type SimulationApi,
  type SimulationOptions,
  type SimulationSnapshot,
  SimulationSnapshotSchema,
} from '../workers/simulationProtocol';
import type { DoinNode, NodeStatus } from './api';

const DEFAULT_OPTIONS: SimulationOptions = {
  virtualPeers: 3,
  targetBlockTimeMs: 5_000,
  roundIntervalMs: 1_000,
};

export function createLocalNode(options: Partial<SimulationOptions> = {}): DoinNode {
  const worker = new Worker(new URL('../workers/simulation.worker.ts', import.meta.url), {
    type: 'module',
    name: 'doin-simulation',
  });
  const remote: Remote<SimulationApi> = wrap<SimulationApi>(worker);
  let latest: SimulationSnapshot | null = null;
  let workerError: string | null = null;

  /** Keeps the newest valid snapshot, whichever way (pushed or returned) it arrived. */
  const onSnapshot = (input: unknown): void => {
    const checked = parse(SimulationSnapshotSchema, input);
    if (!checked.ok) {
      workerError = `the simulation worker sent an invalid status: ${checked.error}`;
      return;
    }
    if (!latest || checked.value.seq > latest.seq) latest = checked.value;
  };
  worker.addEventListener('error', (event) => {
    workerError = `the simulation worker failed: ${event.message}`;
  });
  const ready = remote.init({ ...DEFAULT_OPTIONS, ...options }, proxy(onSnapshot)).then(onSnapshot);

  return {
    ready,
    status(): NodeStatus {
      if (!latest) throw new Error('doin is not ready yet: await window.doin.ready first');
      const error = workerError ?? latest.error;
      return {
        peerId: latest.peerId,
        peers: 0,
        connections: [],
        head: { ...latest.head },
        backend: 'js',
        domains: latest.domains.map((d) => ({ ...d })),
        contributing: latest.contributing,
        balance: latest.balance,
        mode: 'local-simulation',
        simulatedPeers: latest.virtualPeers,
        ...(error ? { error } : {}),
      };
    },
    start: () => remote.start().then(onSnapshot),
    stop: () => remote.stop().then(onSnapshot),
    infer: (domainId, input) => remote.infer(domainId, input),
  };
}
