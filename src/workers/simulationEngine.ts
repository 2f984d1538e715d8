/**
 * The local simulation, off the main thread: this node and a few virtual peers run the real
 * protocol in memory (see core/simulation.ts). Signature checks and block validation cost
 * hundreds of milliseconds per block in pure JS, which is why this lives in a worker. Usable
 * in Node as is (tests drive it without a Worker).
 */
import { type KeyPair, keyPairFromSeed } from '../core/crypto';
import type { DomainPlugin } from '../core/domain';
import { createNetworkParams } from '../core/params';
import { parse } from '../core/schemas';
import { SimulatedNetwork } from '../core/simulation';
import { quadraticDomain } from '../domains/quadratic';
import {
  type SimulationApi,
  type SimulationOptions,
  SimulationOptionsSchema,
  type SimulationSnapshot,
} from './simulationProtocol';

export interface EngineEnvironment {
  readonly clock: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly domain?: DomainPlugin;
}

const browserEnvironment: EngineEnvironment = {
  clock: () => Date.now(),
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

export function createSimulationEngine(env: EngineEnvironment = browserEnvironment): SimulationApi {
  const domain = env.domain ?? quadraticDomain;
  let net: SimulatedNetwork | undefined;
  let self: KeyPair | undefined;
  let options: SimulationOptions | undefined;
  let publish: (snapshot: SimulationSnapshot) => void = () => {};
  let timer: ReturnType<typeof setInterval> | undefined;
  let round = 0;
  let busy = false;
  let lastError: string | null = null;
  let seq = 0;

  function snapshot(): SimulationSnapshot {
    if (!net || !self || !options) throw new Error('simulation not initialised');
    const state = (net.peers[0] as SimulatedNetwork['peers'][number]).tree.state;
    return {
      seq: seq++,
      peerId: self.publicKey,
      head: { height: state.height, hash: state.tipHash },
      domains: Object.entries(state.domains).map(([id, d]) => ({ id, best: d.bestMetric })),
      balance: state.accounts[self.publicKey]?.balance ?? 0,
      contributing: timer !== undefined,
      virtualPeers: options.virtualPeers,
      error: lastError,
    };
  }

  async function step(): Promise<void> {
    if (busy || !net) return;
    busy = true;
    try {
      net.now = Math.max(net.now + 1, env.clock());
      const optimizer = net.peers[round % net.peers.length] as SimulatedNetwork['peers'][number];
      await net.round(optimizer, round++, 2);
      // Every peer may make the block; this node tries first.
      for (const generator of net.peers) if (net.tryBlock(generator)) break;
      lastError = null;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      busy = false;
      publish(snapshot());
    }
  }

  return {
    async init(input, onSnapshot) {
      const checked = parse(SimulationOptionsSchema, input);
      if (!checked.ok) throw new Error(`invalid simulation options: ${checked.error}`);
      if (net) throw new Error('simulation already initialised');
      options = checked.value;
      publish = onSnapshot;
      const freshKey = () => keyPairFromSeed(env.randomBytes(32));
      self = freshKey();
      const params = createNetworkParams({
        name: 'doin-local-simulation',
        genesisTimestamp: env.clock() - 1_000,
        targetBlockTimeMs: options.targetBlockTimeMs,
        domains: [domain.descriptor],
      });
      net = new SimulatedNetwork(params, domain, [
        { name: 'you', key: self },
        ...Array.from({ length: options.virtualPeers }, (_, i) => ({
          name: `virtual-${i + 1}`,
          key: freshKey(),
        })),
      ]);
      return snapshot();
    },
    async start() {
      if (!net) throw new Error('simulation not initialised');
      timer ??= setInterval(() => void step(), options?.roundIntervalMs);
      return snapshot();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      return snapshot();
    },
    async infer(domainId, input) {
      if (!net) throw new Error('simulation not initialised');
      if (domainId !== domain.descriptor.id) throw new Error(`unknown domain: ${domainId}`);
      return domain.infer(net.bestParams(net.peers[0] as SimulatedNetwork['peers'][number]), input);
    },
  };
}
