/**
 * The page's participant, behind the stable automation surface (`window.doin`).
 *
 * Placeholder: identity and chain are simulated locally. The real node (core simulation, then
 * net/storage/workers) replaces the internals; the exported shape stays.
 */

export type Transport = 'webrtc' | 'websockets' | 'circuit';

export interface ConnectionInfo {
  peerId: string;
  transport: Transport;
}

export interface DomainInfo {
  id: string;
  /** Best verified metric so far, or null when the domain has none yet. */
  best: number | null;
}

export interface NodeStatus {
  peerId: string;
  peers: number;
  connections: ConnectionInfo[];
  head: { height: number; hash: string };
  backend: string;
  domains: DomainInfo[];
  contributing: boolean;
  balance: number;
}

export interface StartOptions {
  domain?: string;
  backend?: string;
}

export interface DoinNode {
  /** Resolves once the node is usable (identity loaded, chain restored). */
  readonly ready: Promise<void>;
  /** A fresh snapshot; mutating it does not affect the node. */
  status(): NodeStatus;
  start(options?: StartOptions): Promise<void>;
  stop(): Promise<void>;
  infer(domainId: string, input: unknown): Promise<unknown>;
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function createLocalNode(): DoinNode {
  const peerId = randomHex(32);
  const head = { height: 0, hash: '00'.repeat(32) };
  let contributing = false;

  return {
    ready: Promise.resolve(),
    status: () => ({
      peerId,
      peers: 0,
      connections: [],
      head: { ...head },
      backend: 'none',
      domains: [],
      contributing,
      balance: 0,
    }),
    start: async () => {
      contributing = true;
    },
    stop: async () => {
      contributing = false;
    },
    infer: async (domainId) => {
      throw new Error(`unknown domain: ${domainId}`);
    },
  };
}
