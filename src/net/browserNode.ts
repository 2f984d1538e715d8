/**
 * The page's libp2p node (issue 5): WebSockets to reach the relay, the circuit-relay transport to
 * hold a relayed address there, WebRTC for direct browser-to-browser connections, noise, yamux,
 * identify and gossipsub subscribed to the doin topics. It dials the relay on start.
 */

import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Connection, PrivateKey } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

import { DOIN_TOPICS } from './topics.js';

export { DOIN_TOPICS };

export interface BrowserNodeOptions {
  /** The relay's multiaddr, /p2p/<peer id> included, e.g. /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3… */
  relay: string;
  /** The participant's Ed25519 key (default: a fresh one per node). */
  privateKey?: PrivateKey;
  /**
   * Allow dialing loopback/private addresses and plain (unencrypted) /ws. Default: true exactly
   * when the relay address itself is loopback or private (one host or a LAN).
   */
  allowLocal?: boolean;
  /** STUN/TURN servers for WebRTC (default none: works on one host or a LAN). */
  iceServers?: RTCIceServer[];
}

export type Transport = 'webrtc' | 'websockets' | 'circuit';

export interface ConnectionSummary {
  peerId: string;
  transport: Transport;
}

export type BrowserNode = Awaited<ReturnType<typeof createBrowserNode>>;

/** Creates, starts and connects the page's libp2p node to the relay. */
export async function createBrowserNode(options: BrowserNodeOptions) {
  const relay = multiaddr(options.relay);
  const allowLocal = options.allowLocal ?? isLocalMultiaddr(relay);
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
    connectionGater: allowLocal ? { denyDialMultiaddr: () => false } : {},
    services: {
      identify: identify(),
      pubsub: gossipsub(),
    },
  });
  for (const topic of DOIN_TOPICS) node.services.pubsub.subscribe(topic);
  try {
    await node.dial(relay);
  } catch (err) {
    await node.stop();
    throw new Error(`net: cannot dial relay ${options.relay}: ${errorMessage(err)}`);
  }
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
