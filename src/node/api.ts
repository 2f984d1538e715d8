import type { TrainerStatus } from './trainer';

/**
 * The automation surface (`window.doin`, DESIGN.md): what tests, embedders and headless nodes
 * rely on. Implementations change; this shape stays.
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
  /** 'local-simulation' until the node talks to real peers (issue 5/6). */
  mode: 'local-simulation' | 'network';
  /** Virtual peers the local simulation runs in this page (0 on a real network). */
  simulatedPeers: number;
  /** Real training in workers (chosen backend, measurements, verified best), once started. */
  training: TrainerStatus | null;
  /** The network this node is on, in network mode. */
  network?: NetworkInfo;
  /** This page's own work on the network (network mode). */
  work?: WorkInfo;
  /** The last thing that went wrong, in words, if anything. */
  error?: string;
}

export interface NetworkInfo {
  /** The genesis hash: it names the network. */
  id: string;
  name: string;
  relay: {
    addr: string;
    status: 'connected' | 'connecting' | 'waiting';
    attempts: number;
    nextAttemptAt: number | null;
    lastError: string | null;
  };
  syncing: boolean;
}

export interface WorkInfo {
  domainId: string;
  /** Candidates trained / committed (they beat the chain's best when trained). */
  proposed: number;
  committed: number;
  votesCast: number;
  blocksMade: number;
  /** This page's optimae in main-chain blocks: accepted / not (false claim, stale). */
  verified: number;
  rejected: number;
  /** Optimae waiting for votes or a block. */
  pool: number;
  lastError: string | null;
}

export interface StartOptions {
  /** Share of the time the workers compute, in (0, 1] (the GPU-share setting). */
  dutyCycle?: number;
}

/** What the node reports as it happens (the UI, tests and the widget listen instead of polling). */
export type DoinEvent =
  | { type: 'head'; height: number; hash: string }
  | {
      type: 'optimae';
      commitId: string;
      domainId: string;
      optimizer: string;
      verdict: 'accepted' | 'false-claim' | 'stale';
      /** True when this node was the optimizer. */
      mine: boolean;
    }
  | { type: 'committed'; commitId: string; domainId: string; claimedMetric: number }
  | { type: 'block-made'; height: number; hash: string }
  | { type: 'peer'; peerId: string; joined: boolean; transport?: Transport }
  | { type: 'error'; message: string };

export interface DoinNode {
  /** Subscribes to the node's events; returns the unsubscribe function. */
  on(listener: (event: DoinEvent) => void): () => void;
  /** Resolves once the node is usable (identity loaded, chain restored). */
  readonly ready: Promise<void>;
  /** A fresh snapshot; mutating it does not affect the node. */
  status(): NodeStatus;
  start(options?: StartOptions): Promise<void>;
  stop(): Promise<void>;
  infer(domainId: string, input: unknown): Promise<unknown>;
  /**
   * Trains on the user's own CSV from now on (parsed in a worker, never sent anywhere);
   * evaluation stays on the domain's public data, and only parameters are ever shared.
   */
  loadLocalData(csv: string, column?: string): Promise<void>;
  /**
   * The main chain from genesis to head (and with `includeIdentity` the identity seed: whoever
   * holds the file owns the account) as an archive file's bytes, e.g. to move to another browser.
   */
  exportArchive(options?: { includeIdentity?: boolean }): Promise<Uint8Array>;
  /**
   * Validates an archive's blocks in order with the normal rules into this node's chain (it
   * becomes the head only if heavier). The first invalid block stops the import (its height and
   * error code are in the message); the valid blocks before it stay. The archive's identity is
   * used only with `replaceIdentity`, and takes effect after a reload.
   */
  importArchive(bytes: Uint8Array, options?: { replaceIdentity?: boolean }): Promise<ArchiveImport>;
}

export interface ArchiveImport {
  /** Archive blocks now valid in this node's chain (new or already known). */
  imported: number;
  /** This node's head after the import. */
  head: { height: number; hash: string };
  /** The archive's identity was saved to this profile (used from the next reload on). */
  identityReplaced: boolean;
  /** About the identity, when the archive carried one. */
  note?: string;
}
