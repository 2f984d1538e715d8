/**
 * The page on a real network (issue 5): the net node (src/net/netNode) plus the chain it keeps
 * in step with its peers. Every gossip message goes through the GossipValidator (blocks are
 * imported into the BlockTree while being validated, so only blocks that apply are forwarded);
 * a block whose parent is unknown, and every newly connected peer, start a chain sync over
 * /doin/sync/1.0.0; the node answers sync and blob requests from others.
 *
 * Not here yet (issue 6): IndexedDB persistence, a persistent identity, and making blocks.
 */

import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { type AddResult, BlockTree } from '../core/blockTree';
import { keyPairFromSeed } from '../core/crypto';
import { concatBytes, hexToBytes } from '../core/encoding';
import { genesisState } from '../core/genesis';
import { type Hash, paramsHash, sha256Hex } from '../core/hash';
import type { OptimaeAssessment } from '../core/poo';
import { type Block, BlockSchema, type NetworkParams, parse } from '../core/schemas';
import { BLOB_PROTOCOL, createBlobServer, fetchBlob } from '../net/blob';
import {
  blockTreeContext,
  decodeAs,
  decodeGossip,
  encodeGossip,
  type GossipContext,
  GossipValidator,
  MAX_GOSSIP_BYTES,
} from '../net/gossip';
import { peerIdOfAccount } from '../net/ids';
import { createNetNode, type NetNode, type PeerBook } from '../net/netNode';
import { preverifyBlocks } from '../net/preverify';
import { chainSourceFromTree, createSyncServer, SYNC_PROTOCOL, syncFromPeer } from '../net/sync';
import { type ChainStore, encodeArchive, NetworkMismatchError } from '../storage';
import { createChainPersistence, restoreTree } from './persistence';

export interface NetworkParticipantOptions {
  readonly relay: string;
  /** The participant's Ed25519 seed: one key signs protocol objects and is the libp2p identity. */
  readonly identitySeed: Uint8Array;
  /** Head changes and the verdicts of optimae in new main-chain blocks. */
  readonly onEvent?: (event: ParticipantEvent) => void;
  /** Called for each accepted gossip object (after validation), decoded. */
  readonly onObject?: (topic: string, value: unknown) => void;
  readonly params: NetworkParams;
  readonly iceServers?: readonly string[];
  readonly peerBook?: PeerBook;
  readonly now?: () => number;
  /** Where the chain and blobs persist (IndexedDB); without it they live in memory only. */
  readonly store?: ChainStore;
}

/** What the page shows and tests read about the network side. */
export interface NetworkSnapshot {
  readonly peerId: string;
  readonly networkId: Hash;
  readonly networkName: string;
  readonly head: { height: number; hash: Hash };
  readonly relay: ReturnType<NetNode['relay']>;
  readonly peers: ReturnType<NetNode['peers']>;
  readonly connections: ReturnType<NetNode['connections']>;
  readonly syncing: boolean;
  readonly lastSyncError: string | null;
  /** The most recent syncs that fetched something (newest last). */
  readonly syncs: readonly SyncRecord[];
}

export interface ReceivedGossip {
  readonly topic: string;
  readonly from: string;
  /** sha256 of the message bytes: matches the `digest` of what the sender published. */
  readonly digest: Hash;
  readonly bytes: number;
  readonly at: number;
}

export type ParticipantEvent =
  | { readonly type: 'head'; readonly height: number; readonly hash: Hash }
  | { readonly type: 'optimae'; readonly assessment: OptimaeAssessment };

export interface SyncRecord {
  readonly peerId: string;
  readonly added: number;
  readonly ms: number;
  readonly error: string | null;
}

export interface ImportReport {
  readonly added: number;
  readonly errors: string[];
  /** What was gossiped, in order: digest of the message bytes and when (ms since epoch). */
  readonly sent: { digest: Hash; at: number }[];
}

const RECEIVED_LOG = 1_024;

export type NetworkParticipant = Awaited<ReturnType<typeof createNetworkParticipant>>;

export async function createNetworkParticipant(options: NetworkParticipantOptions) {
  const now = options.now ?? Date.now;
  const genesis = genesisState(options.params);
  let store = options.store ?? null;
  let storageWarning: string | null = null;
  let tree: BlockTree;
  try {
    tree = store ? await restoreTree(store, genesis, now) : new BlockTree(genesis);
  } catch (err) {
    // Never mix chains: a profile that holds another network's chain stays untouched.
    if (!(err instanceof NetworkMismatchError)) throw err;
    storageWarning =
      'this browser profile holds the chain of another network, so this one is kept in memory only; open the page with ?profile=<another name> to save it';
    store = null;
    tree = new BlockTree(genesis);
  }
  const persistence = store ? createChainPersistence(store, tree) : null;
  // Every block that reaches the tree goes through addBlock, so head changes and verdicts are
  // reported once, whichever path (gossip, sync, import, our own) brought the block.
  let lastHead = tree.head.hash;
  const checkHead = () => {
    if (tree.head.hash === lastHead) return;
    lastHead = tree.head.hash;
    persistence?.schedule();
    options.onEvent?.({ type: 'head', height: tree.head.height, hash: tree.head.hash });
  };
  const addBlock = (block: unknown): AddResult => {
    const result = tree.add(block, { now: now() });
    if (result.status === 'head') {
      for (const a of result.assessments) options.onEvent?.({ type: 'optimae', assessment: a });
    }
    checkHead();
    return result;
  };
  const context: GossipContext = { ...blockTreeContext(tree, now), importBlock: addBlock };
  const validator = new GossipValidator(context);
  const blobs = new Map<Hash, Float32Array>();
  const received: ReceivedGossip[] = [];
  const needsSync = new Set<string>();

  const key = keyPairFromSeed(options.identitySeed);
  const privateKey = privateKeyFromRaw(
    concatBytes(options.identitySeed, hexToBytes(key.publicKey)),
  );
  const net = await createNetNode({
    relay: options.relay,
    privateKey,
    ...(options.iceServers?.length
      ? { iceServers: options.iceServers.map((urls) => ({ urls })) }
      : {}),
    ...(options.peerBook ? { peerBook: options.peerBook } : {}),
    async validate(topic, data, from) {
      // A block's signatures are checked natively first (see preverify.ts): same verdict, less CPU.
      if (topic === 'doin/1/block') {
        const decoded = decodeAs(BlockSchema, data, MAX_GOSSIP_BYTES[topic]);
        if (decoded.ok) await preverifyBlocks([decoded.value], tree.state.networkId);
      }
      const verdict = validator.validate(topic, data);
      // A block we cannot place yet: its sender has the chain it builds on.
      if (verdict.action !== 'accept' && verdict.reason === 'orphan-block') requestSync(from);
      return verdict.action;
    },
    onMessage(topic, data, from) {
      received.push({ topic, from, digest: sha256Hex(data), bytes: data.byteLength, at: now() });
      if (received.length > RECEIVED_LOG) received.shift();
      if (options.onObject) {
        // Already validated; decoding again is cheap next to the validation itself.
        const decoded = decodeGossip(data, MAX_GOSSIP_BYTES['doin/1/block']);
        if (decoded.ok) options.onObject(topic, decoded.value);
      }
    },
    protocols: {
      [SYNC_PROTOCOL]: createSyncServer(chainSourceFromTree(tree)),
      [BLOB_PROTOCOL]: createBlobServer({
        get: async (hash: Hash) =>
          blobs.get(hash) ?? (await store?.getBlob(hash).catch(() => undefined)),
      }),
    },
  });

  // ---- chain sync: one peer at a time, every connected peer once, again on orphans ----------
  let syncing = false;
  let lastSyncError: string | null = null;
  let lastSyncErrorAt = 0;
  const syncs: SyncRecord[] = [];
  function requestSync(peerId: string): void {
    if (!peerId || peerId === net.peerId || peerId === net.relayPeerId) return;
    needsSync.add(peerId);
    void drainSync();
  }
  async function drainSync(): Promise<void> {
    if (syncing) return;
    syncing = true;
    try {
      for (const peerId of needsSync) {
        needsSync.delete(peerId);
        const started = performance.now();
        const report = await syncFromPeer(
          (signal) => net.openStream(peerId, SYNC_PROTOCOL, signal),
          tree,
          {
            now,
            beforeApply: (blocks) => preverifyBlocks(blocks, tree.state.networkId).then(() => {}),
          },
        );
        checkHead();
        const error = report.error ?? null;
        // A peer that served provably invalid blocks is dropped (discovery may bring it back).
        if (report.failure?.penalize) void net.hangUp(peerId);
        lastSyncError = error ? `sync from …${peerId.slice(-8)}: ${error}` : null;
        lastSyncErrorAt = now();
        if (report.added > 0 || error) {
          syncs.push({ peerId, added: report.added, ms: performance.now() - started, error });
          if (syncs.length > 16) syncs.shift();
        }
      }
    } finally {
      syncing = false;
      if (needsSync.size > 0) void drainSync();
    }
  }
  net.on('peer:connect', (evt) => {
    if (evt.detail.transport === 'webrtc') requestSync(evt.detail.peerId);
  });

  /** Gossips one of our own objects; commits, reveals and votes are validated locally first. */
  async function publishOwn(topic: 'commit' | 'reveal' | 'vote' | 'block' | 'tx', value: unknown) {
    const fullTopic = `doin/1/${topic}`;
    const bytes = encodeGossip(value as Block);
    if (topic !== 'block') {
      const verdict = validator.validate(fullTopic, bytes);
      if (verdict.action === 'reject') throw new Error(`own ${topic} refused: ${verdict.message}`);
    }
    await net.publish(fullTopic, bytes);
  }

  /** libp2p peer id of an account (its Ed25519 public key), or null if the id is malformed. */
  const peerOf = peerIdOfAccount;

  /** Parameters by hash: local, else from the optimizer, else from any directly connected peer. */
  async function blob(hash: Hash, optimizer: string): Promise<Float32Array | null> {
    const local = blobs.get(hash) ?? (await store?.getBlob(hash).catch(() => undefined));
    if (local) {
      blobs.set(hash, local);
      return local;
    }
    const first = optimizer ? peerOf(optimizer) : null;
    const candidates = [
      ...(first ? [first] : []),
      ...net
        .peers()
        .map((p) => p.peerId)
        .filter((id) => id !== first),
    ];
    for (const peerId of candidates) {
      const result = await fetchBlob(
        (signal) => net.openStream(peerId, BLOB_PROTOCOL, signal),
        hash,
      );
      if (result.ok) {
        blobs.set(hash, result.value);
        void store?.putBlob(hash, result.value).catch(() => {});
        return result.value;
      }
    }
    return null;
  }

  /** The main chain as an archive (storage/archive.ts), optionally with the identity seed. */
  async function exportArchive(includeIdentity: boolean): Promise<Uint8Array> {
    if (store) {
      await persistence?.flush();
      const stored = await store.headInfo();
      // The store's own export reads one consistent head; use it when it is the tree's head.
      if (stored && stored.hash === tree.head.hash) return store.exportArchive({ includeIdentity });
    }
    // From memory: a restored tree lacks the blocks below its base, which the store holds.
    let known = 1;
    while (known <= tree.head.height && !tree.blockAtHeight(known)) known++;
    const blocks: Block[] = [];
    while (blocks.length < known - 1) {
      const chunk = store ? await store.mainChainBlocks(blocks.length + 1, known - 1) : [];
      if (chunk.length === 0) throw new Error('the blocks below the restored snapshot are missing');
      blocks.push(...chunk.slice(0, known - 1 - blocks.length));
    }
    for (let h = known; h <= tree.head.height; h++) {
      const block = tree.blockAtHeight(h);
      if (!block) throw new Error(`main-chain block ${h} is missing`);
      blocks.push(block);
    }
    const networkId = tree.state.networkId;
    return encodeArchive(
      includeIdentity
        ? { networkId, blocks, identitySeed: options.identitySeed }
        : { networkId, blocks },
    );
  }

  return {
    net,
    key,
    tree,
    /** The store the chain persists in (null: memory only). */
    store: (): ChainStore | null => store,
    exportArchive,
    /**
     * Deletes stored and cached blobs whose hash is not in `keep` (the caller keeps every
     * domain's best and what is still pending); returns how many stored ones were deleted.
     */
    async pruneBlobs(keep: ReadonlySet<Hash>): Promise<number> {
      for (const hash of blobs.keys()) if (!keep.has(hash)) blobs.delete(hash);
      return store ? store.pruneBlobs(keep) : 0;
    },
    publishOwn,
    blob,
    /** Resolves once the chain as it is now is saved; the last save error, if any. */
    persisted: () => persistence?.flush() ?? Promise.resolve(),
    persistenceError: () => persistence?.error() ?? storageWarning,
    /** Adds a block (e.g. our own) to the tree, reporting head changes and verdicts. */
    addBlock,
    storeBlob(hash: Hash, params: Float32Array): void {
      if (paramsHash(params) !== hash) throw new Error('blob does not match its hash');
      blobs.set(hash, params);
      void store?.putBlob(hash, params).catch(() => {});
    },
    validator,
    blobs,
    snapshot(): NetworkSnapshot {
      return {
        peerId: net.peerId,
        networkId: tree.state.networkId,
        networkName: options.params.name,
        head: { height: tree.head.height, hash: tree.head.hash },
        relay: net.relay(),
        peers: net.peers(),
        connections: net.connections(),
        syncing,
        // A failed sync is news for a minute; the next good one clears it.
        lastSyncError: now() - lastSyncErrorAt < SYNC_ERROR_SHOWN_MS ? lastSyncError : null,
        syncs: [...syncs],
      };
    },
    /** Gossip accepted from other peers, newest last (bounded). */
    received: (): ReceivedGossip[] => [...received],
    /**
     * Validates blocks (e.g. an exported chain) into the local tree and gossips each one that
     * became part of the chain, in order. Invalid blocks change nothing and are reported.
     */
    async importBlocks(blocks: readonly unknown[]): Promise<ImportReport> {
      let added = 0;
      const errors: string[] = [];
      const sent: { digest: Hash; at: number }[] = [];
      const wellFormed = blocks.flatMap((b) => {
        const parsed = parse(BlockSchema, b);
        return parsed.ok ? [parsed.value] : [];
      });
      await preverifyBlocks(wellFormed, tree.state.networkId);
      for (const input of blocks) {
        const result = addBlock(input);
        if (result.status === 'head' || result.status === 'side') {
          added++;
          const bytes = encodeGossip(tree.getBlock(result.hash) as Block);
          sent.push({ digest: sha256Hex(bytes), at: now() });
          await net.publish('doin/1/block', bytes);
        } else if (result.status === 'invalid') {
          errors.push(`${result.hash ?? 'block'}: ${result.error.code}: ${result.error.message}`);
        } else if (result.status === 'orphan') {
          errors.push(`${result.hash}: parent ${result.missingParent} unknown`);
        }
      }
      return { added, errors, sent };
    },
    /** Sends bytes on a topic without checking them: for tests of other peers' validation. */
    publishRaw: (topic: string, data: Uint8Array): Promise<number> => net.publish(topic, data),
    stop: () => net.stop(),
  };
}

/** How long a failed sync stays in the snapshot (status().error). */
const SYNC_ERROR_SHOWN_MS = 60_000;
