/**
 * The IndexedDB layout of one profile's database (`doin-<profile>`) and the migrations that
 * build it. The schema version is the number of migrations: migration i takes a database from
 * version i to i + 1, so opening an old database runs exactly the missing steps, in order, in
 * the one upgrade transaction the browser gives (all or nothing).
 *
 * Stores (values are kept by structured clone, so ChainState's integers stay numbers):
 * - blocks     key block hash → { hash, height, block }; index byHeight. Every block the node
 *              accepted, on any branch. Which one is on the main chain is not stored here (a
 *              reorg would rewrite blocks) but in:
 * - mainChain  key height (1 …) → block hash of the main chain at that height; nothing above
 *              the head. Genesis is never stored: it derives from the network parameters.
 * - snapshots  key block hash → { hash, height, state }; index byHeight. ChainState after that
 *              block, taken every N heights; only the newest K on the main chain are kept.
 * - head       key 'head' → { networkId, hash, height, updatedAt }.
 * - blobs      key sha256 hex → { hash, bytes (float32 bytes), size, lastUsed }; index bySize
 *              (so usage() sums sizes from the index without loading the bytes).
 * - identity   key 'identity' → { seed (32-byte Ed25519 seed), createdAt }.
 * - pending    key id → { id, kind, value, addedAt }; index byKind.
 * - settings   key → JSON value.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';
import type { Hash } from '../core/hash';
import type { Block, ChainState } from '../core/schemas';

export interface BlockRecord {
  readonly hash: Hash;
  readonly height: number;
  readonly block: Block;
}

export interface SnapshotRecord {
  readonly hash: Hash;
  readonly height: number;
  readonly state: ChainState;
}

export interface HeadRecord {
  readonly networkId: Hash;
  readonly hash: Hash;
  readonly height: number;
  readonly updatedAt: number;
}

export interface BlobRecord {
  readonly hash: Hash;
  /** The parameters' float32 bytes in this machine's byte order (what Float32Array holds). */
  readonly bytes: Uint8Array;
  readonly size: number;
  /** When the blob was last stored (put again refreshes it). */
  readonly lastUsed: number;
}

export interface IdentityRecord {
  readonly seed: Uint8Array;
  readonly createdAt: number;
}

export interface PendingRecord {
  readonly id: string;
  readonly kind: string;
  readonly value: unknown;
  readonly addedAt: number;
}

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export interface ChainDB extends DBSchema {
  blocks: { key: Hash; value: BlockRecord; indexes: { byHeight: number } };
  mainChain: { key: number; value: Hash };
  snapshots: { key: Hash; value: SnapshotRecord; indexes: { byHeight: number } };
  head: { key: 'head'; value: HeadRecord };
  blobs: { key: Hash; value: BlobRecord; indexes: { bySize: number } };
  identity: { key: 'identity'; value: IdentityRecord };
  pending: { key: string; value: PendingRecord; indexes: { byKind: string } };
  settings: { key: string; value: JsonValue };
}

export const HEAD_KEY = 'head';
export const IDENTITY_KEY = 'identity';

/**
 * One schema step. It runs inside the upgrade transaction: it may create or delete stores and
 * indexes and rewrite records through `tx`, but must not wait on anything but IndexedDB
 * requests (the transaction would commit under it). Untyped, since a step sees the layout of
 * its own version, not the current one.
 */
export type Migration = (
  db: IDBPDatabase<unknown>,
  tx: IDBPTransaction<unknown, string[], 'versionchange'>,
) => void | Promise<void>;

/** Ordered: index i upgrades version i to i + 1. Never edit a released step; append one. */
export const MIGRATIONS: readonly Migration[] = [
  // v1: the initial layout.
  (db) => {
    db.createObjectStore('blocks', { keyPath: 'hash' }).createIndex('byHeight', 'height');
    db.createObjectStore('mainChain');
    db.createObjectStore('snapshots', { keyPath: 'hash' }).createIndex('byHeight', 'height');
    db.createObjectStore('head');
    db.createObjectStore('blobs', { keyPath: 'hash' }).createIndex('bySize', 'size');
    db.createObjectStore('identity');
    db.createObjectStore('pending', { keyPath: 'id' }).createIndex('byKind', 'kind');
    db.createObjectStore('settings');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;
