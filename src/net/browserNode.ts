/**
 * The page's libp2p configuration (issue 5): WebSockets to reach the relay, the circuit-relay
 * transport to hold a relayed address there, WebRTC for direct browser-to-browser connections,
 * noise, yamux, identify, gossipsub with peer scoring on the doin topics, and pubsub peer
 * discovery. Lifecycle (dialing the relay, retries, finding peers) lives in netNode.ts.
 */

import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Connection, PrivateKey } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import type { Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

import { DOIN_DISCOVERY_TOPIC, DOIN_TOPICS } from './topics.js';

export { DOIN_DISCOVERY_TOPIC, DOIN_TOPICS };

export interface BrowserLibp2pOptions {
  /** The participant's Ed25519 key (default: a fresh one per node). */
  privateKey?: PrivateKey;
  /**
   * Allow dialing loopback/private addresses and plain (unencrypted) /ws: right for a relay on
   * this host or the LAN, wrong on the public network (libp2p's browser default refuses them).
   */
  allowLocal: boolean;
  /** STUN/TURN servers for WebRTC (default none: works on one host or a LAN). */
  iceServers?: RTCIceServer[];
  /** How often (ms) this page announces its addresses on the discovery topic. */
  discoveryIntervalMs?: number;
}

export type Transport = 'webrtc' | 'websockets' | 'circuit';

export interface ConnectionSummary {
  peerId: string;
  transport: Transport;
}

export type BrowserLibp2p = Awaited<ReturnType<typeof createBrowserLibp2p>>;

/**
 * Peer scoring: a rejected (provably invalid) message costs its sender `weight × count²` on that
 * topic. One costs -4 (still gossiped with), three fall below gossipsub's gossip threshold (-10)
 * and five below the graylist (-80), where its messages are dropped unread. Counts decay by
 * half per second-ish interval, so a peer that relayed a bad message by accident recovers.
 * Colocation (P6) is off: pages behind one NAT or on one host are normal here.
 */
function scoreParams() {
  const topics = Object.fromEntries(
    DOIN_TOPICS.map((topic) => [
      topic,
      {
        topicWeight: 1,
        // Only the invalid-message penalty counts: delivery-rate terms punish quiet topics.
        timeInMeshWeight: 0,
        timeInMeshQuantum: 1_000,
        timeInMeshCap: 3_600,
        firstMessageDeliveriesWeight: 0,
        firstMessageDeliveriesDecay: 0.5,
        firstMessageDeliveriesCap: 100,
        meshMessageDeliveriesWeight: 0,
        meshMessageDeliveriesDecay: 0.5,
        meshMessageDeliveriesCap: 100,
        meshMessageDeliveriesThreshold: 1,
        meshMessageDeliveriesWindow: 10,
        meshMessageDeliveriesActivation: 5_000,
        meshFailurePenaltyWeight: 0,
        meshFailurePenaltyDecay: 0.5,
        invalidMessageDeliveriesWeight: -4,
        invalidMessageDeliveriesDecay: 0.9,
      },
    ]),
  );
  return { topics, IPColocationFactorWeight: 0 };
}

/** Creates and starts the page's libp2p node and subscribes it to the doin topics. */
export async function createBrowserLibp2p(options: BrowserLibp2pOptions) {
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: { iceServers: options.iceServers ?? [] } }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Left undefined, libp2p's browser gater refuses plain /ws and private addresses (which also
    // covers the relayed /webrtc addresses on 127.0.0.1); allow them only for a local relay.
    connectionGater: options.allowLocal ? { denyDialMultiaddr: () => false } : {},
    peerDiscovery: [
      pubsubPeerDiscovery({
        interval: options.discoveryIntervalMs ?? 2_000,
        topics: [DOIN_DISCOVERY_TOPIC],
      }),
    ],
    services: {
      identify: identify(),
      pubsub: gossipsub({ scoreParams: scoreParams() }),
    },
  });
  for (const topic of DOIN_TOPICS) node.services.pubsub.subscribe(topic);
  return node;
}

/** Open connections, one entry per connection, with the transport it runs over. */
export function connectionsSummary(node: { getConnections(): Connection[] }): ConnectionSummary[] {
  return node
    .getConnections()
    .filter((conn) => conn.status === 'open')
    .map((conn) => ({
      peerId: conn.remotePeer.toString(),
      transport: transportOf(conn.remoteAddr),
    }));
}

/** Which transport a connection's remote address says it uses. */
export function transportOf(addr: Multiaddr): Transport {
  const names = addr.getComponents().map((c) => c.name);
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return 'webrtc';
  if (names.includes('p2p-circuit')) return 'circuit';
  return 'websockets';
}

/** True for loopback, private (RFC 1918, link-local, ULA) and `localhost` addresses. */
export function isLocalMultiaddr(addr: Multiaddr): boolean {
  const first = addr.getComponents()[0];
  if (!first?.value) return false;
  const value = first.value.toLowerCase();
  switch (first.name) {
    case 'ip4': {
      const [a = -1, b = -1] = value.split('.').map(Number);
      return (
        a === 127 ||
        a === 10 ||
        (a === 172 && b >= 16 && b <= 31) ||
        (a === 192 && b === 168) ||
        (a === 169 && b === 254)
      );
    }
    case 'ip6':
      return value === '::1' || /^f[cd]/.test(value) || /^fe[89ab]/.test(value);
    case 'dns':
    case 'dns4':
    case 'dns6':
      return value === 'localhost' || value.endsWith('.localhost');
    default:
      return false;
  }
}
