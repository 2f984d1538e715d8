/**
 * The page's participant for now: a local simulation. This node and a few virtual peers run the
 * real src/core protocol in memory on the quadratic domain (optimize, commit, reveal, quorum
 * votes, blocks, fork choice), so the page shows an identity and a chain that grows while
 * contributing. Networking, storage and workers replace the internals in later issues; the
 * automation surface (api.ts) stays.
 */
import { type KeyPair, keyPairFromSeed } from '../core/crypto';
import type { DomainPlugin } from '../core/domain';
import { createNetworkParams } from '../core/params';
import { quadraticDomain } from '../domains/quadratic';
import type { DoinNode, NodeStatus } from './api';
import { SimulatedNetwork } from './simulatedNetwork';

export interface LocalNodeOptions {
  readonly domain?: DomainPlugin;
  readonly virtualPeers?: number;
  readonly targetBlockTimeMs?: number;
  /** Time between optimization rounds while contributing. */
  readonly roundIntervalMs?: number;
  readonly clock?: () => number;
}

const freshKey = (): KeyPair => keyPairFromSeed(crypto.getRandomValues(new Uint8Array(32)));

export function createLocalNode(options: LocalNodeOptions = {}): DoinNode {
  const domain = options.domain ?? quadraticDomain;
  const clock = options.clock ?? Date.now;
  const self = freshKey();
  const params = createNetworkParams({
    name: 'doin-local-simulation',
    genesisTimestamp: clock() - 1_000,
    targetBlockTimeMs: options.targetBlockTimeMs ?? 5_000,
    domains: [domain.descriptor],
  });
  const virtualPeers = options.virtualPeers ?? 3;
  const net = new SimulatedNetwork(params, domain, [
    { name: 'you', key: self },
    ...Array.from({ length: virtualPeers }, (_, i) => ({
      name: `virtual-${i + 1}`,
      key: freshKey(),
    })),
  ]);
  const me = net.peers[0] as (typeof net.peers)[number];
  let timer: ReturnType<typeof setInterval> | undefined;
  let round = 0;
  let busy = false;
  let lastError: string | null = null;

  async function step(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      net.now = Math.max(net.now + 1, clock());
      const optimizer = net.peers[round % net.peers.length] as typeof me;
      await net.round(optimizer, round++, 2);
      // Every peer may make the block; this node tries first.
      for (const generator of net.peers) if (net.tryBlock(generator)) break;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      busy = false;
    }
  }

  return {
    ready: Promise.resolve(),
    status(): NodeStatus {
      const state = me.tree.state;
      return {
        peerId: self.publicKey,
        peers: 0,
        connections: [],
        head: { height: state.height, hash: state.tipHash },
        backend: 'js',
        domains: Object.entries(state.domains).map(([id, d]) => ({ id, best: d.bestMetric })),
        contributing: timer !== undefined,
        balance: state.accounts[self.publicKey]?.balance ?? 0,
        mode: 'local-simulation',
        simulatedPeers: virtualPeers,
        ...(lastError ? { error: lastError } : {}),
      };
    },
    async start() {
      if (timer === undefined)
        timer = setInterval(() => void step(), options.roundIntervalMs ?? 1_000);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
    },
    async infer(domainId: string, input: unknown) {
      if (domainId !== domain.descriptor.id) throw new Error(`unknown domain: ${domainId}`);
      return domain.infer(net.bestParams(me), input);
    },
  };
}
