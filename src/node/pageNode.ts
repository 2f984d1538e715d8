/**
 * Which node a page runs: on a network when it has a relay (`?relay=`, or the relay that served
 * the page, found at /status), else the local simulation. The choice needs a request, so the page
 * gets a facade at once (`window.doin` exists immediately; `ready` settles after the choice).
 */
import * as v from 'valibot';
import { type NetworkParams, parse } from '../core/schemas';
import type { PeerBook } from '../net/netNode';
import type { DoinNode, NodeStatus } from './api';
import { createEventHub } from './events';
import { createLocalNode } from './localNode';
import type { NetworkDoinNode } from './networkNode';
import { LOCAL_TESTNET, parseNetworkParams } from './networks';
import { relayProblem, type UrlOptions } from './urlOptions';

const RelayStatusSchema = v.object({
  peerId: v.pipe(v.string(), v.maxLength(128)),
  listenAddrs: v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(64)),
});

export interface ServingRelay {
  readonly relay: string;
  readonly params: NetworkParams;
}

/**
 * The relay that served this page, if it was one: its WebSocket address (preferring the host
 * the page was loaded from, so a LAN visitor does not get 127.0.0.1) and the network it runs.
 */
export async function findServingRelay(
  pageUrl: URL,
  fetchJson: (path: string) => Promise<unknown>,
): Promise<ServingRelay | null> {
  let statusBody: unknown;
  try {
    statusBody = await fetchJson('/status');
  } catch {
    return null; // not served by a relay (a static host or the dev server)
  }
  const status = parse(RelayStatusSchema, statusBody);
  if (!status.ok) return null;
  const usable = status.value.listenAddrs.filter((a) => relayProblem(a) === null);
  const host = pageUrl.hostname.replace(/^\[|\]$/g, '');
  const relay =
    usable.find((a) => a.includes(`/${host}/`)) ??
    (host === 'localhost' ? usable.find((a) => a.includes('/127.0.0.1/')) : undefined) ??
    usable[0];
  if (!relay) return null;
  let params = LOCAL_TESTNET;
  try {
    params = parseNetworkParams(await fetchJson('/network'), 'the relay');
  } catch {
    // An older relay without /network runs the default network.
  }
  return { relay, params };
}

/** Remembers peers per profile in localStorage (addresses only: nothing secret). */
export function localStoragePeerBook(profile: string): PeerBook {
  const key = `doin:${profile}:peers`;
  return {
    load() {
      try {
        const parsed = parse(
          v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(256)),
          JSON.parse(localStorage.getItem(key) ?? '[]'),
        );
        return parsed.ok ? parsed.value : [];
      } catch {
        return [];
      }
    },
    save(addrs) {
      try {
        localStorage.setItem(key, JSON.stringify(addrs));
      } catch {
        // Storage full or disabled: peers are found again through the relay.
      }
    },
  };
}

export interface PageNode extends DoinNode {
  /** The network node, in network mode (for the debug surface). */
  networkNode(): NetworkDoinNode | null;
}

export function createPageNode(url: UrlOptions): PageNode {
  let inner: DoinNode | null = null;
  let network: NetworkDoinNode | null = null;
  const common = { trainDomain: url.domain, backend: url.backend, warnings: url.errors };
  // On a network an unfixed domain is chosen by expected reward (the local trainer keeps its default).
  const networkDomain = url.domainFixed ? { trainDomain: url.domain } : {};
  const ready = (async () => {
    const serving = url.relay
      ? { relay: url.relay, params: await servingParams() }
      : await findServingRelay(new URL(location.href), fetchJson);
    if (serving) {
      // libp2p is ~160 KB gzipped: loaded only on a network page, after first paint.
      const { createNetworkNode } = await import('./networkNode');
      network = createNetworkNode({
        backend: url.backend,
        warnings: url.errors,
        ...networkDomain,
        relay: serving.relay,
        params: serving.params,
        iceServers: url.iceServers,
        ...(url.steps ? { stepsPerCandidate: url.steps } : {}),
        peerBook: localStoragePeerBook(url.profile),
        profile: url.profile,
      });
      inner = network;
    } else {
      inner = createLocalNode(common);
    }
    await inner.ready;
  })();
  const hub = createEventHub();
  const forward = ready.then(() => inner?.on(hub.emit));
  void forward.catch(() => {});
  const requireInner = (): DoinNode => {
    if (!inner) throw new Error('doin is not ready yet: await window.doin.ready first');
    return inner;
  };
  return {
    ready,
    networkNode: () => network,
    on: hub.on,
    status: (): NodeStatus => requireInner().status(),
    start: async (options) => {
      await ready;
      return requireInner().start(options);
    },
    stop: async () => {
      await ready;
      return requireInner().stop();
    },
    infer: async (domainId, input) => {
      await ready;
      return requireInner().infer(domainId, input);
    },
    loadLocalData: async (csv, column) => {
      await ready;
      return requireInner().loadLocalData(csv, column);
    },
    exportArchive: async (options) => {
      await ready;
      return requireInner().exportArchive(options);
    },
    importArchive: async (bytes, options) => {
      await ready;
      return requireInner().importArchive(bytes, options);
    },
    blocks: async (query) => {
      await ready;
      return requireInner().blocks(query);
    },
    block: async (id) => {
      await ready;
      return requireInner().block(id);
    },
    account: async (id) => {
      await ready;
      return requireInner().account(id);
    },
    metricHistory: async () => {
      await ready;
      return requireInner().metricHistory();
    },
    models: async () => {
      await ready;
      return requireInner().models();
    },
    examples: async (domainId) => {
      await ready;
      return requireInner().examples(domainId);
    },
    transfer: async (to, amount, options) => {
      await ready;
      return requireInner().transfer(to, amount, options);
    },
  };
}

async function fetchJson(path: string): Promise<unknown> {
  const res = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(3_000) });
  if (!res.ok || !res.headers.get('content-type')?.includes('application/json')) {
    throw new Error(`${path}: HTTP ${res.status}`);
  }
  return res.json();
}

/** With ?relay= the page may come from elsewhere: use the relay origin's network if it is ours. */
async function servingParams(): Promise<NetworkParams> {
  try {
    return parseNetworkParams(await fetchJson('/network'), 'this origin');
  } catch {
    return LOCAL_TESTNET;
  }
}
