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
import { createEventHub } from './events';
import { createLazyTrainer } from './lazyTrainer';

const DEFAULT_OPTIONS: SimulationOptions = {
  virtualPeers: 3,
  targetBlockTimeMs: 5_000,
  roundIntervalMs: 1_000,
};

export interface LocalNodeOptions extends Partial<SimulationOptions> {
  /** The tfjs domain trained in workers while contributing. */
  readonly trainDomain?: string;
  /** `auto` or a backend name. */
  readonly backend?: string;
  /** Problems with the page's options (e.g. a bad URL parameter), shown to the user. */
  readonly warnings?: readonly string[];
}

export function createLocalNode(options: LocalNodeOptions = {}): DoinNode {
  const worker = new Worker(new URL('../workers/simulation.worker.ts', import.meta.url), {
    type: 'module',
    name: 'doin-simulation',
  });
  const remote: Remote<SimulationApi> = wrap<SimulationApi>(worker);
  let latest: SimulationSnapshot | null = null;
  const hub = createEventHub();
  let workerError: string | null = null;

  /** Keeps the newest valid snapshot, whichever way (pushed or returned) it arrived. */
  const onSnapshot = (input: unknown): void => {
    const checked = parse(SimulationSnapshotSchema, input);
    if (!checked.ok) {
      workerError = `the simulation worker sent an invalid status: ${checked.error}`;
      return;
    }
    if (!latest || checked.value.seq > latest.seq) {
      const previous = latest?.head.hash;
      latest = checked.value;
      if (latest.head.hash !== previous) hub.emit({ type: 'head', ...latest.head });
    }
  };
  worker.addEventListener('error', (event) => {
    workerError = `the simulation worker failed: ${event.message}`;
  });
  const simulationOptions: SimulationOptions = {
    virtualPeers: options.virtualPeers ?? DEFAULT_OPTIONS.virtualPeers,
    targetBlockTimeMs: options.targetBlockTimeMs ?? DEFAULT_OPTIONS.targetBlockTimeMs,
    roundIntervalMs: options.roundIntervalMs ?? DEFAULT_OPTIONS.roundIntervalMs,
  };
  const ready = remote.init(simulationOptions, proxy(onSnapshot)).then(onSnapshot);

  const training = createLazyTrainer(
    { domainId: options.trainDomain ?? 'mackey-glass', backend: options.backend ?? 'auto' },
    () => latest?.contributing === true,
  );

  return {
    ready,
    on: hub.on,
    status(): NodeStatus {
      if (!latest) throw new Error('doin is not ready yet: await window.doin.ready first');
      const trainerReady = training.current();
      const trainingStatus = trainerReady?.status() ?? null;
      const error =
        workerError ??
        latest.error ??
        training.error() ??
        trainingStatus?.error ??
        (options.warnings?.length ? options.warnings.join('; ') : null);
      return {
        peerId: latest.peerId,
        peers: 0,
        connections: [],
        head: { ...latest.head },
        backend: trainingStatus?.backend ?? (training.requested() ? 'measuring' : 'not started'),
        domains: latest.domains.map((d) => ({ ...d })),
        contributing: latest.contributing,
        balance: latest.balance,
        mode: 'local-simulation',
        simulatedPeers: latest.virtualPeers,
        training: trainingStatus,
        ...(error ? { error } : {}),
      };
    },
    async start(startOptions = {}) {
      const { dutyCycle } = startOptions;
      if (dutyCycle !== undefined && !(dutyCycle > 0 && dutyCycle <= 1)) {
        throw new Error(`dutyCycle must be in (0, 1], got ${dutyCycle}`);
      }
      onSnapshot(await remote.start());
      await training.start(dutyCycle);
    },
    async loadLocalData(csv, column) {
      await (await training.ensure()).loadLocalData(csv, column);
    },
    async stop() {
      onSnapshot(await remote.stop());
      await training.current()?.stop();
    },
    exportArchive: networkOnly('exportArchive'),
    importArchive: networkOnly('importArchive'),
    blocks: networkOnly('the chain explorer'),
    block: networkOnly('the chain explorer'),
    account: networkOnly('the chain explorer'),
    metricHistory: networkOnly('the metric history'),
    models: networkOnly('the models page'),
    examples: networkOnly('the models page'),
    transfer: networkOnly('transfer'),
    async infer(domainId, input) {
      const trainerReady = training.current();
      if (trainerReady && trainerReady.status().domainId === domainId) {
        return trainerReady.infer(input);
      }
      return remote.infer(domainId, input);
    },
  };
}

/**
 * What the simulation does not keep (it has no stored chain, keys or models to show): a
 * function that rejects in words, pointing the user to a network page.
 */
function networkOnly(what: string): () => Promise<never> {
  return async () => {
    throw new Error(
      `${what} needs a network: this page runs a local simulation because no relay served it (start one with \`npm start\` and open the URL it prints)`,
    );
  };
}
