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
  /** This node's account on the chain: its public key in hex (network mode). */
  accountId?: string;
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
  /** The chain's pace (network mode): what the next block needs and when the last one came. */
  chain?: ChainPace;
  /** The last thing that went wrong, in words, if anything. */
  error?: string;
}

export interface ChainPace {
  /** Increment units the next block must reach. */
  threshold: number;
  /** The head block's timestamp (ms since 1970); genesis' at height 0. */
  headTimestamp: number;
  /** The network's target time between blocks. */
  targetBlockTimeMs: number;
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
  /** The workers' share of time computing, in (0, 1] (the GPU-share setting). */
  dutyCycle: number;
  /** 'training' while a candidate is being trained, with its progress (0-1). */
  activity: 'idle' | 'training';
  progress: number;
  /** The backend measurements behind the choice (empty until the workers started). */
  measurements: BackendSpeed[];
  /** The domain was fixed by the user (?domain= or settings) rather than chosen by reward. */
  domainFixed: boolean;
  lastError: string | null;
}

export interface BackendSpeed {
  backend: string;
  available: boolean;
  /** Milliseconds per training step measured at start; null when not measured. */
  msPerStep: number | null;
}

export interface StartOptions {
  /**
   * Share of the time the workers compute, in (0, 1] (the GPU-share setting). Calling start
   * again while contributing just applies a new value.
   */
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
  | { type: 'vote'; commitId: string; domainId: string; metric: number }
  | { type: 'transfer'; to: string; amount: number; nonce: number }
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

  // ---- chain explorer and models: read from this node's own copy (IndexedDB), so they work
  // offline. A local-simulation node rejects them with an error saying so.

  /** Main-chain blocks, newest first: `limit` (default 20, at most 100) below height `before`. */
  blocks(query?: { before?: number; limit?: number }): Promise<BlockSummary[]>;
  /** One block by hash or by main-chain height (a decimal string); null when unknown. */
  block(id: string): Promise<BlockDetail | null>;
  /** An account (by peer id or hex public key): balance, nonce, reputation, history newest first. */
  account(id: string): Promise<AccountView>;
  /** Each domain's verified best metric after every block that changed it, oldest first. */
  metricHistory(): Promise<MetricPoint[]>;
  /** Each domain's current best model and where it came from. */
  models(): Promise<ModelInfo[]>;
  /** Ready-made inputs for the playground (e.g. a stretch of the series, a table row). */
  examples(domainId: string): Promise<InferenceExample[]>;
  /**
   * Signs a transfer from this node's account with its next nonce and gossips it; a block maker
   * includes it. `to` is a peer id or a hex public key. Amounts are in base units (1 DOIN = 100,000,000).
   */
  transfer(
    to: string,
    amount: number,
    options?: { fee?: number; memo?: string },
  ): Promise<TransferReceipt>;
}

export interface BlockSummary {
  height: number;
  hash: string;
  timestamp: number;
  generator: string;
  optimae: number;
  transfers: number;
  incrementSum: number;
  threshold: number;
}

export interface OptimaeView {
  commitId: string;
  domainId: string;
  optimizer: string;
  paramsHash: string;
  claimedMetric: number;
  /** The quorum's median: what the chain believes, never the claim. */
  verifiedMetric: number;
  verdict: 'accepted' | 'false-claim' | 'stale';
  votes: { evaluator: string; metric: number }[];
}

export interface TransferView {
  from: string;
  to: string;
  amount: number;
  fee: number;
  nonce: number;
  memo: string;
}

export interface BlockDetail extends BlockSummary {
  prevHash: string;
  optimaeList: OptimaeView[];
  transferList: TransferView[];
  /** Coinbase outputs: who was paid for this block. */
  rewards: { to: string; amount: number }[];
}

export interface AccountView {
  /** The hex Ed25519 public key the chain records. */
  id: string;
  /** The same key as a libp2p peer id (the address people share). */
  peerId: string;
  balance: number;
  nonce: number;
  reputation: number;
  /** Rewards received over the main chain (coinbase outputs). */
  rewardsEarned: number;
  history: AccountEntry[];
}

export interface AccountEntry {
  height: number;
  blockHash: string;
  timestamp: number;
  kind: 'reward' | 'sent' | 'received';
  /** Positive in, negative out (a sent transfer's fee included). */
  amount: number;
  counterparty: string | null;
}

export interface MetricPoint {
  domainId: string;
  height: number;
  timestamp: number;
  metric: number;
}

export interface ModelInfo {
  domainId: string;
  name: string;
  description: string;
  metric: string;
  direction: 'minimize' | 'maximize';
  bestMetric: number;
  initialMetric: number;
  /** Null while the domain still has its initial parameters. */
  paramsHash: string | null;
  paramCount: number;
  verifiedCount: number;
  /** The optimae that made this model the best, when there is one. */
  source: {
    height: number;
    blockHash: string;
    commitId: string;
    optimizer: string;
    claimedMetric: number;
    votes: { evaluator: string; metric: number }[];
  } | null;
  /** What the model learns from and what evaluators measure it on. */
  data: string;
}

export interface InferenceExample {
  label: string;
  input: unknown;
  /** The true answer, when the example comes from data (e.g. the next sample of the series). */
  expected?: unknown;
  /** For time series: the values before and after the window, to draw the forecast against. */
  series?: number[];
}

export interface TransferReceipt {
  from: string;
  to: string;
  amount: number;
  fee: number;
  nonce: number;
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
