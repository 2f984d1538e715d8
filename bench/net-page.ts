/**
 * The network test page: one browser libp2p node (src/net/browserNode) driven from a script
 * through `window.doinNet`, for the e2e test of browser-to-browser WebRTC and gossip.
 */

import { multiaddr } from '@multiformats/multiaddr';
import {
  type BrowserNode,
  type ConnectionSummary,
  connectionsSummary,
  createBrowserNode,
} from '../src/net/browserNode';

export interface ReceivedMessage {
  topic: string;
  from: string;
  text: string;
}

export interface DoinNet {
  /** Starts the node and dials the relay; resolves to this node's peer id. */
  start(relay: string): Promise<string>;
  /** This node's relayed /webrtc multiaddrs (empty until the relay reservation is made). */
  addrs(): string[];
  dial(addr: string): Promise<void>;
  peers(): ConnectionSummary[];
  publish(topic: string, text: string): Promise<number>;
  received(): ReceivedMessage[];
}

declare global {
  interface Window {
    doinNet: DoinNet;
  }
}

const out = document.getElementById('out');
let node: BrowserNode | null = null;
const received: ReceivedMessage[] = [];
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function requireNode(): BrowserNode {
  if (!node) throw new Error('doinNet: call start(relay) first');
  return node;
}

window.doinNet = {
  async start(relay) {
    if (node) return node.peerId.toString();
    node = await createBrowserNode({ relay });
    node.services.pubsub.addEventListener('message', (evt) => {
      const msg = evt.detail;
      const from = msg.type === 'signed' ? msg.from.toString() : '';
      received.push({ topic: msg.topic, from, text: decoder.decode(msg.data) });
    });
    if (out) out.textContent = `started ${node.peerId.toString()}`;
    return node.peerId.toString();
  },
  addrs() {
    return requireNode()
      .getMultiaddrs()
      .map((ma) => ma.toString())
      .filter((ma) => ma.includes('/p2p-circuit/') && ma.includes('/webrtc'));
  },
  async dial(addr) {
    await requireNode().dial(multiaddr(addr));
  },
  peers() {
    return connectionsSummary(requireNode());
  },
  async publish(topic, text) {
    const result = await requireNode().services.pubsub.publish(topic, encoder.encode(text));
    return result.recipients.length;
  },
  received() {
    return [...received];
  },
};
