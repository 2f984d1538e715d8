/**
 * The page's network node: the libp2p node of browserNode.ts plus its lifecycle. It keeps a
 * connection to the relay (retrying with backoff when it goes away), dials the browsers that
 * discovery announces over direct WebRTC, re-dials peers remembered from an earlier visit, runs
 * every gossip message through the caller's validator before gossipsub delivers or forwards it,
 * and serves the caller's stream protocols. It knows nothing of chains: src/node decides.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId, PeerInfo, PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import {
  type BrowserLibp2p,
  type ConnectionSummary,
  connectionsSummary,
  createBrowserLibp2p,
  DOIN_TOPICS,
  isLocalMultiaddr,
  transportOf,
} from './browserNode';

export type GossipAction = 'accept' | 'ignore' | 'reject';

/** Handles one inbound stream of a protocol; must not throw (errors are the handler's to answer). */
export type ProtocolHandler = (stream: Stream, remotePeer: string) => Promise<void>;

/** Where the node remembers peers between visits (localStorage in the page, a Map in tests). */
export interface PeerBook {
  load(): string[];
  save(addrs: string[]): void;
}

export interface NetNodeOptions {
  /** The relay's multiaddr, /p2p/<peer id> included, e.g. /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3… */
  relay: string;
  /** The participant's Ed25519 key (default: a fresh one per node). */
  privateKey?: PrivateKey;
  /** Allow loopback/private addresses and plain /ws; default: when the relay itself is local. */
  allowLocal?: boolean;
  /** STUN/TURN servers for WebRTC (default none: works on one host or a LAN). */
  iceServers?: RTCIceServer[];
  /** Decides each gossip message before it is delivered or forwarded; must not throw. */
  validate?: (
    topic: string,
    data: Uint8Array,
    from: string,
  ) => GossipAction | Promise<GossipAction>;
  /** Called for each accepted gossip message from another peer. */
  onMessage?: (topic: string, data: Uint8Array, from: string) => void;
  /** Stream protocols this node answers (protocol id → handler). */
  protocols?: Record<string, ProtocolHandler>;
  peerBook?: PeerBook;
  backoff?: BackoffOptions;
  discoveryIntervalMs?: number;
}

export interface RelayState {
  readonly addr: string;
  readonly status: 'connected' | 'connecting' | 'waiting';
  /** Failed attempts since the relay was last reachable. */
  readonly attempts: number;
  /** When the next attempt starts (ms since epoch), while waiting. */
  readonly nextAttemptAt: number | null;
  readonly lastError: string | null;
}

export interface NetEvents {
  'peer:connect': CustomEvent<ConnectionSummary>;
  'peer:disconnect': CustomEvent<{ peerId: string }>;
  relay: CustomEvent<RelayState>;
}

/** At most this many peers are remembered for the next visit (newest first). */
const PEER_BOOK_SIZE = 32;
/** The larger peer id dials too when the smaller one has not connected within this long. */
const GLARE_GRACE_MS = 8_000;
/** How often peers without a direct connection are dialed again. */
const SWEEP_INTERVAL_MS = 10_000;
/** Discovered peers kept for retries (oldest forgotten first). */
const MAX_DISCOVERED = 256;

export type NetNode = Awaited<ReturnType<typeof createNetNode>>;

/** Starts the node; never throws for an unreachable relay (it keeps retrying in the background). */
export async function createNetNode(options: NetNodeOptions) {
  const relayAddr = multiaddr(options.relay);
  const relayPeer = relayAddr.getComponents().find((c) => c.name === 'p2p')?.value;
  if (!relayPeer) throw new Error(`net: the relay address needs /p2p/<peer id>: ${options.relay}`);
  const libp2p: BrowserLibp2p = await createBrowserLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    allowLocal: options.allowLocal ?? isLocalMultiaddr(relayAddr),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    ...(options.discoveryIntervalMs ? { discoveryIntervalMs: options.discoveryIntervalMs } : {}),
  });
  const selfId = libp2p.peerId.toString();
  const events = new EventTarget();
  const emit = <K extends keyof NetEvents>(type: K, detail: NetEvents[K]['detail']) =>
    events.dispatchEvent(new CustomEvent(type, { detail }));
  let stopped = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timers.add(timer);
  };

  // ---- gossip -------------------------------------------------------------------------------
  const pubsub = libp2p.services.pubsub;
  const validate = options.validate;
  if (validate) {
    for (const topic of DOIN_TOPICS) {
      pubsub.topicValidators.set(topic, async (peer, message) => {
        try {
          const action = await validate(topic, message.data, fromOf(message, peer));
          return action === 'accept'
            ? TopicValidatorResult.Accept
            : action === 'ignore'
              ? TopicValidatorResult.Ignore
              : TopicValidatorResult.Reject;
        } catch {
          return TopicValidatorResult.Ignore; // our bug, not the sender's: drop, do not punish
        }
      });
    }
  }
  const doinTopics = new Set<string>(DOIN_TOPICS);
  pubsub.addEventListener('message', (evt) => {
    const message = evt.detail;
    if (!doinTopics.has(message.topic)) return;
    options.onMessage?.(
      message.topic,
      message.data,
      message.type === 'signed' ? message.from.toString() : '',
    );
  });

  // ---- stream protocols ---------------------------------------------------------------------
  for (const [protocol, handler] of Object.entries(options.protocols ?? {})) {
    await libp2p.handle(protocol, (stream, connection) =>
      handler(stream, connection.remotePeer.toString()).catch(() =>
        stream.abort(new Error('handler failed')),
      ),
    );
  }

  // ---- the relay: keep it, retry with backoff ------------------------------------------------
  let relay: RelayState = {
    addr: options.relay,
    status: 'connecting',
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
  };
  const setRelay = (next: RelayState) => {
    relay = next;
    emit('relay', relay);
  };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let relayDialing = false;
  async function dialRelay(): Promise<void> {
    if (stopped || relayDialing) return;
    relayDialing = true;
    setRelay({ ...relay, status: 'connecting', nextAttemptAt: null });
    try {
      await libp2p.dial(relayAddr);
      setRelay({ ...relay, status: 'connected', attempts: 0, lastError: null });
      redialRemembered();
    } catch (err) {
      const delay = backoffDelay(relay.attempts, backoff);
      setRelay({
        ...relay,
        status: 'waiting',
        attempts: relay.attempts + 1,
        nextAttemptAt: Date.now() + delay,
        lastError: errorMessage(err),
      });
      later(delay, () => void dialRelay());
    } finally {
      relayDialing = false;
    }
  }

  // ---- other browsers: dial what discovery announces, over WebRTC -----------------------------
  const dialing = new Set<string>();
  const hasDirect = (peerId: string) =>
    connectionsSummary(libp2p).some((c) => c.peerId === peerId && c.transport === 'webrtc');
  async function dialWebrtc(peerId: string, addrs: Multiaddr[]): Promise<void> {
    const targets = addrs.filter(isRelayedWebrtc);
    if (stopped || targets.length === 0 || dialing.has(peerId) || hasDirect(peerId)) return;
    dialing.add(peerId);
    try {
      await libp2p.dial(targets);
    } catch {
      // Discovery announces again every interval; the next announcement retries.
    } finally {
      dialing.delete(peerId);
    }
  }
  /** Peers discovery announced, with their latest addresses and when we first heard of them. */
  const discovered = new Map<string, { addrs: Multiaddr[]; since: number }>();
  libp2p.addEventListener('peer:discovery', (evt) => {
    const info: PeerInfo = evt.detail;
    const peerId = info.id.toString();
    if (peerId === selfId || peerId === relayPeer) return;
    const known = discovered.get(peerId);
    discovered.set(peerId, { addrs: info.multiaddrs, since: known?.since ?? Date.now() });
    if (discovered.size > MAX_DISCOVERED)
      discovered.delete(discovered.keys().next().value as string);
    // One side dials, so two pages do not open two connections at once; the other side steps in
    // if that did not happen (e.g. it had not learnt our address yet).
    if (selfId < peerId) void dialWebrtc(peerId, info.multiaddrs);
    else later(GLARE_GRACE_MS, () => void dialWebrtc(peerId, info.multiaddrs));
  });
  // A dial can fail (ICE, a busy relay) and an announcement can be missed: now and then, retry
  // every discovered peer that still has no direct connection, from both sides after the grace.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [peerId, { addrs, since }] of discovered) {
      if (selfId < peerId || now - since > GLARE_GRACE_MS) void dialWebrtc(peerId, addrs);
    }
  }, SWEEP_INTERVAL_MS);

  // ---- remembered peers ---------------------------------------------------------------------
  const remembered = new Map<string, string[]>();
  for (const addr of options.peerBook?.load() ?? []) {
    try {
      const ma = multiaddr(addr);
      const id = [...ma.getComponents()].reverse().find((c) => c.name === 'p2p')?.value;
      if (!id || id === selfId || !isRelayedWebrtc(ma)) continue;
      remembered.set(id, [...(remembered.get(id) ?? []), addr]);
    } catch {
      // A damaged entry is skipped; the book is rewritten on the next connection.
    }
  }
  function redialRemembered(): void {
    for (const [peerId, addrs] of remembered) {
      void dialWebrtc(
        peerId,
        addrs.map((a) => multiaddr(a)),
      );
    }
  }
  async function remember(peerId: string): Promise<void> {
    if (!options.peerBook) return;
    try {
      const peer = await libp2p.peerStore.get(peerIdFromString(peerId));
      const addrs = peer.addresses.map((a) => a.multiaddr).filter(isRelayedWebrtc);
      if (addrs.length === 0) return;
      remembered.delete(peerId);
      const entries = [[peerId, addrs.map((a) => withPeer(a, peerId))] as const, ...remembered];
      remembered.clear();
      for (const [id, list] of entries.slice(0, PEER_BOOK_SIZE)) remembered.set(id, [...list]);
      options.peerBook.save([...remembered.values()].flat());
    } catch {
      // Not in the peer store (yet): nothing to remember.
    }
  }

  /**
   * When both pages dialed at once they hold two WebRTC connections. Both sides keep the same
   * one without talking about it: the one the smaller peer id dialed.
   */
  function dropDuplicateDirect(peerId: string): void {
    const direct = libp2p
      .getConnections(peerIdFromString(peerId))
      .filter((c) => c.status === 'open' && transportOfConnection(c) === 'webrtc');
    if (direct.length < 2) return;
    const keptDirection = selfId < peerId ? 'outbound' : 'inbound';
    const keep = direct.find((c) => c.direction === keptDirection) ?? direct[0];
    for (const conn of direct) if (conn !== keep) void conn.close().catch(() => {});
  }

  // ---- connection events --------------------------------------------------------------------
  libp2p.addEventListener('connection:open', (evt) => {
    const conn = evt.detail;
    const summary = connectionsSummary({ getConnections: () => [conn] })[0];
    if (!summary) return;
    emit('peer:connect', summary);
    if (summary.transport === 'webrtc') {
      void remember(summary.peerId);
      dropDuplicateDirect(summary.peerId);
    }
  });
  libp2p.addEventListener('peer:disconnect', (evt) => {
    const peerId = evt.detail.toString();
    emit('peer:disconnect', { peerId });
    if (peerId === relayPeer && !stopped) {
      setRelay({ ...relay, status: 'waiting', nextAttemptAt: Date.now() });
      later(0, () => void dialRelay());
    }
  });

  // Usually connected within a second; a slow or dead relay must not hold the page back (the
  // node retries in the background and direct peers work without it).
  await Promise.race([dialRelay(), new Promise((resolve) => setTimeout(resolve, 3_000))]);

  return {
    libp2p,
    peerId: selfId,
    /** Subscribes to peer and relay events; returns the unsubscribe function. */
    on<K extends keyof NetEvents>(type: K, listener: (evt: NetEvents[K]) => void): () => void {
      const wrapped = (evt: Event) => listener(evt as NetEvents[K]);
      events.addEventListener(type, wrapped);
      return () => events.removeEventListener(type, wrapped);
    },
    /** Open connections with their transport (the relay's included). */
    connections: (): ConnectionSummary[] => connectionsSummary(libp2p),
    /** Peers other than the relay, one entry each, preferring the direct connection. */
    peers(): ConnectionSummary[] {
      const byPeer = new Map<string, ConnectionSummary>();
      for (const c of connectionsSummary(libp2p)) {
        if (c.peerId === relayPeer) continue;
        const known = byPeer.get(c.peerId);
        if (!known || c.transport === 'webrtc') byPeer.set(c.peerId, c);
      }
      return [...byPeer.values()];
    },
    relay: (): RelayState => relay,
    relayPeerId: relayPeer,
    /** This node's relayed /webrtc addresses (empty until the relay reservation is made). */
    addrs: (): string[] =>
      libp2p
        .getMultiaddrs()
        .filter(isRelayedWebrtc)
        .map((ma) => ma.toString()),
    /** Publishes to a doin topic; resolves to the number of peers it was sent to (0 is fine). */
    async publish(topic: string, data: Uint8Array): Promise<number> {
      try {
        const result = await pubsub.publish(topic, data);
        return result.recipients.length;
      } catch (err) {
        // gossipsub throws when nobody subscribes yet; for us that is just "sent to no one".
        if (/NoPeersSubscribedToTopic|PublishError/i.test(String(err))) return 0;
        throw err;
      }
    },
    /** Opens a stream of `protocol` to a connected peer. */
    openStream(peerId: string, protocol: string, signal?: AbortSignal): Promise<Stream> {
      return libp2p.dialProtocol(peerIdFromString(peerId), protocol, signal ? { signal } : {});
    },
    /** Closes every connection to a peer (e.g. one that served invalid blocks). */
    async hangUp(peerId: string): Promise<void> {
      await libp2p.hangUp(peerIdFromString(peerId)).catch(() => {});
    },
    /** gossipsub's score of a peer (negative after it sent invalid messages). */
    score: (peerId: string): number =>
      (pubsub as unknown as { getScore(id: string): number }).getScore(peerId),
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(sweep);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await libp2p.stop();
    },
  };
}

/** A relayed WebRTC address: how one browser reaches another (…/p2p-circuit/webrtc/p2p/…). */
export function isRelayedWebrtc(addr: Multiaddr): boolean {
  const names = addr.getComponents().map((c) => c.name);
  return names.includes('p2p-circuit') && names.includes('webrtc');
}

function transportOfConnection(conn: { remoteAddr: Multiaddr }) {
  return transportOf(conn.remoteAddr);
}

function withPeer(addr: Multiaddr, peerId: string): string {
  const text = addr.toString();
  return text.endsWith(`/p2p/${peerId}`) ? text : `${text}/p2p/${peerId}`;
}

function fromOf(message: { type: string; from?: PeerId }, propagator: PeerId): string {
  return message.type === 'signed' && message.from
    ? message.from.toString()
    : propagator.toString();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
