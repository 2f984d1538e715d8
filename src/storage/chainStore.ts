/**
 * ChainStore: one profile's persistent state (see schema.ts for the layout). Every write is
 * validated before anything is stored and runs in one transaction, so malformed input, a full
 * disk or an injected failure leaves the previous consistent state.
 *
 * The chain part mirrors what the node's BlockTree holds: every accepted block, the main chain
 * by height, the head and a state snapshot every `snapshotInterval` heights, so a restart loads
 * the newest snapshot and replays only the blocks after it (BlockTree.restore). The store keeps
 * the main chain linked: each main-chain block's prevHash is the main-chain hash below it
 * (height 1: the network id), so what loadHead hands out always forms one line.
 */
import type { IDBPDatabase, StoreNames } from 'idb';
import * as v from 'valibot';
import { EncodingError, encodeCanonical, equalBytes } from '../core/encoding';
import { genesisBlock, networkIdOf } from '../core/genesis';
import { type Hash, paramsHash } from '../core/hash';
import { blockHash } from '../core/objects';
import {
  type Block,
  BlockSchema,
  type ChainState,
  ChainStateSchema,
  HashSchema,
  LIMITS,
  PositiveIntSchema,
  parse,
  UintSchema,
} from '../core/schemas';
import { type ChainArchive, encodeArchive } from './archive';
import {
  IdentityExistsError,
  InvalidInputError,
  NetworkMismatchError,
  StorageError,
} from './errors';
import {
  type BlockRecord,
  type ChainDB,
  HEAD_KEY,
  type HeadRecord,
  IDENTITY_KEY,
  type JsonValue,
  type PendingRecord,
} from './schema';
import { type ChainTx, runTransaction } from './transaction';

export const STORE_LIMITS = {
  /** Blocks in one commitHead (an archive import commits its whole chain at once). */
  maxBlocksPerCommit: 1_000_000,
  /** Encoded size of one pending value (signed messages are far smaller). */
  maxPendingBytes: 1024 * 1024,
  /** JSON size of one setting. */
  maxSettingBytes: 64 * 1024,
  /** Blocks returned by one mainChainBlocks call. */
  maxBlocksPerRead: 10_000,
} as const;

export interface ChainStoreOptions {
  /** Keep a state snapshot every this many heights (snapshotDue); default 16. */
  readonly snapshotInterval?: number;
  /** Snapshots kept on the main chain, newest first; older ones are pruned. Default 4. */
  readonly keepSnapshots?: number;
  /** Clock for createdAt / addedAt / lastUsed (ms); default Date.now. */
  readonly now?: () => number;
}

export interface HeadChange {
  readonly networkId: Hash;
  /** Blocks new to the store, on any branch (already stored ones may be repeated). */
  readonly added: readonly { readonly hash: Hash; readonly block: Block }[];
  /** Heights whose main-chain hash changed (extensions and, after a reorg, the new line). */
  readonly mainChain: readonly { readonly height: number; readonly hash: Hash }[];
  /** The new head; main-chain entries above its height are removed. */
  readonly head: { readonly hash: Hash; readonly height: number };
  /** State after a main-chain block (when snapshotDue); older snapshots are pruned. */
  readonly snapshot?: { readonly hash: Hash; readonly state: ChainState };
}

export interface LoadedHead {
  readonly networkId: Hash;
  readonly head: { readonly hash: Hash; readonly height: number };
  /** Newest usable main-chain snapshot, or genesis when none is stored. */
  readonly snapshot: { readonly hash: Hash; readonly block: Block; readonly state: ChainState };
  /** Main-chain blocks after the snapshot up to the head, in height order. */
  readonly blocksSinceSnapshot: Block[];
}

export interface PendingItem {
  readonly id: string;
  readonly kind: string;
  readonly value: unknown;
  readonly addedAt: number;
}

const HeadChangeSchema = v.strictObject({
  networkId: HashSchema,
  added: v.pipe(
    v.array(v.strictObject({ hash: HashSchema, block: BlockSchema })),
    v.maxLength(STORE_LIMITS.maxBlocksPerCommit),
  ),
  mainChain: v.pipe(
    v.array(v.strictObject({ height: PositiveIntSchema, hash: HashSchema })),
    v.maxLength(STORE_LIMITS.maxBlocksPerCommit),
  ),
  head: v.strictObject({ hash: HashSchema, height: UintSchema }),
  snapshot: v.optional(v.strictObject({ hash: HashSchema, state: ChainStateSchema })),
});

const PENDING_KIND = /^[a-z][a-z0-9-]{0,31}$/;
const PENDING_ID = /^[\x21-\x7e]{1,128}$/;
const SETTING_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Opened by openChainStore (db.ts). */
export class ChainStore {
  readonly snapshotInterval: number;
  readonly keepSnapshots: number;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly db: IDBPDatabase<ChainDB>,
    /** The IndexedDB database name (`doin-<profile>`). */
    readonly name: string,
    private readonly factory: IDBFactory,
    options: ChainStoreOptions = {},
  ) {
    this.snapshotInterval = positiveInt(options.snapshotInterval ?? 16, 'snapshotInterval');
    this.keepSnapshots = positiveInt(options.keepSnapshots ?? 4, 'keepSnapshots');
    this.now = options.now ?? Date.now;
    // Another tab upgrading or deleting this database waits for us: let it go.
    db.addEventListener('versionchange', () => this.close());
    db.addEventListener('close', () => {
      this.closed = true;
    });
  }

  /** Whether the node should pass a snapshot when committing a head at `height`. */
  snapshotDue(height: number): boolean {
    return Number.isSafeInteger(height) && height > 0 && height % this.snapshotInterval === 0;
  }

  // ---- identity -----------------------------------------------------------------------------

  async loadIdentity(): Promise<Uint8Array | null> {
    const record = await this.tx(['identity'], 'readonly', 'the identity', (tx) =>
      tx.objectStore('identity').get(IDENTITY_KEY),
    );
    if (!record) return null;
    if (!(record.seed instanceof Uint8Array) || record.seed.length !== 32) {
      throw new StorageError('the stored identity is damaged (not a 32-byte seed)');
    }
    return record.seed.slice();
  }

  /**
   * Stores the Ed25519 seed. Saving the same seed again changes nothing; a different one is
   * refused unless `replace` (the old key, and the account it owns, would be lost).
   */
  async saveIdentity(
    seed: Uint8Array,
    options: { readonly replace?: boolean } = {},
  ): Promise<void> {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new InvalidInputError('an identity seed must be 32 bytes');
    }
    const copy = seed.slice();
    await this.tx(['identity'], 'readwrite', 'the identity', async (tx) => {
      const store = tx.objectStore('identity');
      const existing = await store.get(IDENTITY_KEY);
      if (existing && equalBytes(existing.seed, copy)) return;
      if (existing && !options.replace) {
        throw new IdentityExistsError(
          'this profile already has a different identity; pass { replace: true } to overwrite it',
        );
      }
      await store.put({ seed: copy, createdAt: this.now() }, IDENTITY_KEY);
    });
  }

  // ---- chain --------------------------------------------------------------------------------

  /**
   * Records a new head in one transaction: the added blocks, the changed main-chain heights,
   * the head and optionally a snapshot (then prunes snapshots). Throws, having changed nothing,
   * on malformed input, a stored chain of another network, a main chain that would not link up
   * (a missing block, a gap, a height or prevHash that does not match) or a full disk.
   */
  async commitHead(input: HeadChange): Promise<void> {
    const parsed = parse(HeadChangeSchema, input);
    if (!parsed.ok) throw new InvalidInputError(`commitHead: ${parsed.error}`);
    const change = parsed.value;
    const { networkId, head } = change;
    const added = new Map<Hash, Block>();
    for (const [i, { hash, block }] of change.added.entries()) {
      if (blockHash(block.header) !== hash) {
        throw new InvalidInputError(`commitHead: added[${i}] is not the block with hash ${hash}`);
      }
      added.set(hash, block);
    }
    const main = new Map<number, Hash>();
    for (const { height, hash } of change.mainChain) {
      if (main.has(height)) throw new InvalidInputError(`commitHead: height ${height} twice`);
      if (height > head.height) {
        throw new InvalidInputError(`commitHead: main-chain height ${height} is above the head`);
      }
      main.set(height, hash);
    }
    if (head.height === 0 && head.hash !== networkId) {
      throw new InvalidInputError('commitHead: a head at height 0 must be genesis');
    }
    const snapshot = change.snapshot;
    if (snapshot) checkSnapshot(snapshot, networkId, head.height);

    await this.tx(
      ['blocks', 'mainChain', 'snapshots', 'head'],
      'readwrite',
      'the chain',
      async (tx) => {
        const blocks = tx.objectStore('blocks');
        const mainChain = tx.objectStore('mainChain');
        const snapshots = tx.objectStore('snapshots');
        const stored = await tx.objectStore('head').get(HEAD_KEY);
        if (stored && stored.networkId !== networkId) {
          throw new NetworkMismatchError(stored.networkId, networkId);
        }
        // The main chain after this change, read through to the store where unchanged.
        const mainAt = async (height: number): Promise<Hash | undefined> => {
          if (height === 0) return networkId;
          if (height > head.height) return undefined;
          return main.get(height) ?? (await mainChain.get(height));
        };
        const blockOf = async (hash: Hash): Promise<Block | undefined> =>
          added.get(hash) ?? (await blocks.get(hash))?.block;

        // Check that the line links up where it changed: below each changed height, and above
        // it where the next height keeps its old block.
        for (const height of [...main.keys()].sort((a, b) => a - b)) {
          const hash = main.get(height) as Hash;
          const block = await blockOf(hash);
          if (!block) throw new InvalidInputError(`commitHead: block ${hash} is not stored`);
          if (block.header.height !== height) {
            throw new InvalidInputError(`commitHead: block ${hash} is not at height ${height}`);
          }
          const below = await mainAt(height - 1);
          if (below === undefined) {
            throw new InvalidInputError(`commitHead: the main chain has no block at ${height - 1}`);
          }
          if (block.header.prevHash !== below) {
            throw new InvalidInputError(
              `commitHead: block at height ${height} does not extend the main chain below it`,
            );
          }
          if (height < head.height && !main.has(height + 1)) {
            const aboveHash = await mainAt(height + 1);
            const above = aboveHash === undefined ? undefined : await blockOf(aboveHash);
            if (above?.header.prevHash !== hash) {
              throw new InvalidInputError(
                `commitHead: the main chain at height ${height + 1} does not extend the new block`,
              );
            }
          }
        }
        if ((await mainAt(head.height)) !== head.hash) {
          throw new InvalidInputError(
            `commitHead: the head is not the main-chain block at height ${head.height}`,
          );
        }
        if (snapshot && (await mainAt(snapshot.state.height)) !== snapshot.hash) {
          throw new InvalidInputError('commitHead: the snapshot is not of a main-chain block');
        }

        await issueAll([
          ...[...added].map(([hash, block]) => () => {
            const record: BlockRecord = { hash, height: block.header.height, block };
            return blocks.put(record);
          }),
          ...[...main].map(
            ([height, hash]) =>
              () =>
                mainChain.put(hash, height),
          ),
          () => mainChain.delete(IDBKeyRange.lowerBound(head.height + 1)),
        ]);
        if (snapshot) {
          await snapshots.put({
            hash: snapshot.hash,
            height: snapshot.state.height,
            state: snapshot.state,
          });
        }
        // Keep the newest keepSnapshots snapshots on the main chain; drop the rest (older ones
        // and those a reorg left on a side branch).
        let kept = 0;
        let cursor = await snapshots.index('byHeight').openKeyCursor(null, 'prev');
        while (cursor) {
          const onMain = (await mainAt(cursor.key)) === cursor.primaryKey;
          if (onMain && kept < this.keepSnapshots) kept++;
          else await snapshots.delete(cursor.primaryKey);
          cursor = await cursor.continue();
        }
        const record: HeadRecord = {
          networkId,
          hash: head.hash,
          height: head.height,
          updatedAt: this.now(),
        };
        await tx.objectStore('head').put(record, HEAD_KEY);
      },
    );
  }

  /**
   * What the node needs to start without replaying from genesis: the head, the newest
   * main-chain snapshot at least `reorgDepth` blocks below it (so a restored tree can follow
   * reorgs that deep; the oldest kept one if none is that deep), and the blocks after it.
   * Without a stored snapshot it starts from `genesis`. Null when nothing is stored; throws
   * NetworkMismatchError when the stored chain is not `genesis`'s network.
   */
  async loadHead(
    genesis: ChainState,
    options: { readonly reorgDepth?: number } = {},
  ): Promise<LoadedHead | null> {
    const reorgDepth = options.reorgDepth ?? 0;
    if (!Number.isSafeInteger(reorgDepth) || reorgDepth < 0) {
      throw new InvalidInputError('reorgDepth must be a whole number');
    }
    const networkId = genesis.networkId;
    return this.tx(
      ['head', 'mainChain', 'snapshots', 'blocks'],
      'readonly',
      'the chain',
      async (tx) => {
        const head = await tx.objectStore('head').get(HEAD_KEY);
        if (!head) return null;
        if (head.networkId !== networkId) throw new NetworkMismatchError(head.networkId, networkId);
        const mainChain = tx.objectStore('mainChain');
        const blocks = tx.objectStore('blocks');

        let chosen: { hash: Hash; height: number } | null = null;
        let cursor = await tx
          .objectStore('snapshots')
          .index('byHeight')
          .openKeyCursor(IDBKeyRange.upperBound(head.height), 'prev');
        while (cursor) {
          const height = cursor.key;
          if ((await mainChain.get(height)) === cursor.primaryKey) {
            chosen = { hash: cursor.primaryKey, height };
            if (height <= head.height - reorgDepth) break;
          }
          cursor = await cursor.continue();
        }

        let snapshot: LoadedHead['snapshot'];
        if (chosen) {
          const record = await tx.objectStore('snapshots').get(chosen.hash);
          const blockRecord = await blocks.get(chosen.hash);
          const state = parse(ChainStateSchema, record?.state);
          if (!state.ok || !blockRecord || state.value.tipHash !== chosen.hash) {
            throw new StorageError(
              `the stored snapshot at height ${chosen.height} is damaged or from an incompatible version`,
            );
          }
          snapshot = { hash: chosen.hash, block: blockRecord.block, state: state.value };
        } else {
          snapshot = { hash: networkId, block: genesisBlock(genesis.params), state: genesis };
        }

        const from = snapshot.state.height + 1;
        const hashes =
          from > head.height ? [] : await mainChain.getAll(IDBKeyRange.bound(from, head.height));
        const records = await Promise.all(hashes.map((hash) => blocks.get(hash)));
        if (hashes.length !== head.height - snapshot.state.height || records.some((r) => !r)) {
          throw new StorageError('the stored main chain is incomplete');
        }
        return {
          networkId,
          head: { hash: head.hash, height: head.height },
          snapshot,
          blocksSinceSnapshot: records.map((r) => (r as BlockRecord).block),
        };
      },
    );
  }

  /** The stored head without loading anything else (null when nothing is stored). */
  async headInfo(): Promise<{ networkId: Hash; hash: Hash; height: number } | null> {
    const head = await this.tx(['head'], 'readonly', 'the chain', (tx) =>
      tx.objectStore('head').get(HEAD_KEY),
    );
    return head ? { networkId: head.networkId, hash: head.hash, height: head.height } : null;
  }

  /** Any stored block (main chain or side branch) by hash. */
  async getBlock(hash: Hash): Promise<Block | undefined> {
    if (!isHash(hash)) return undefined;
    const record = await this.tx(['blocks'], 'readonly', 'the chain', (tx) =>
      tx.objectStore('blocks').get(hash),
    );
    return record?.block;
  }

  /** Main-chain hash at `height`; height 0 is genesis (the network id) once a head is stored. */
  async mainChainHash(height: number): Promise<Hash | undefined> {
    if (!Number.isSafeInteger(height) || height < 0) return undefined;
    return this.tx(['head', 'mainChain'], 'readonly', 'the chain', async (tx) => {
      if (height === 0) return (await tx.objectStore('head').get(HEAD_KEY))?.networkId;
      return tx.objectStore('mainChain').get(height);
    });
  }

  /**
   * Up to `count` main-chain blocks from height `from` (at least 1: genesis is not stored), in
   * order; fewer when the head is reached.
   */
  async mainChainBlocks(from: number, count: number): Promise<Block[]> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || count < 0) {
      throw new InvalidInputError('mainChainBlocks: from and count must be whole numbers');
    }
    const start = Math.max(1, from);
    const end = from + Math.min(count, STORE_LIMITS.maxBlocksPerRead) - 1;
    if (end < start) return [];
    return this.tx(['mainChain', 'blocks'], 'readonly', 'the chain', async (tx) => {
      const hashes = await tx.objectStore('mainChain').getAll(IDBKeyRange.bound(start, end));
      const blocks = tx.objectStore('blocks');
      const records = await Promise.all(hashes.map((hash) => blocks.get(hash)));
      const out: Block[] = [];
      for (const record of records) {
        if (!record) break;
        out.push(record.block);
      }
      return out;
    });
  }

  /** Forgets the chain (blocks, main chain, snapshots, head); keeps identity, blobs, settings. */
  async clearChain(): Promise<void> {
    await this.tx(
      ['blocks', 'mainChain', 'snapshots', 'head'],
      'readwrite',
      'the chain',
      async (tx) => {
        for (const name of ['blocks', 'mainChain', 'snapshots', 'head'] as const) {
          await tx.objectStore(name).clear();
        }
      },
    );
  }

  // ---- blobs --------------------------------------------------------------------------------

  /** Stores model parameters under their content address; refuses a hash they do not have. */
  async putBlob(hash: Hash, params: Float32Array): Promise<void> {
    if (!isHash(hash)) throw new InvalidInputError('putBlob: the hash must be 64 lowercase hex');
    if (!(params instanceof Float32Array)) {
      throw new InvalidInputError('putBlob: the parameters must be a Float32Array');
    }
    if (params.length < 1 || params.length > LIMITS.maxParamCount) {
      throw new InvalidInputError(`putBlob: ${params.length} parameters is out of range`);
    }
    const actual = paramsHash(params);
    if (actual !== hash) {
      throw new InvalidInputError(`putBlob: the parameters hash to ${actual}, not ${hash}`);
    }
    const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength).slice();
    await this.tx(['blobs'], 'readwrite', 'model parameters', async (tx) => {
      await tx.objectStore('blobs').put({ hash, bytes, size: bytes.length, lastUsed: this.now() });
    });
  }

  async getBlob(hash: Hash): Promise<Float32Array | undefined> {
    if (!isHash(hash)) return undefined;
    const record = await this.tx(['blobs'], 'readonly', 'model parameters', (tx) =>
      tx.objectStore('blobs').get(hash),
    );
    if (!record) return undefined;
    const { bytes } = record;
    // Float32Array needs a 4-byte aligned offset; a cloned record normally starts at 0.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  }

  async hasBlob(hash: Hash): Promise<boolean> {
    if (!isHash(hash)) return false;
    const key = await this.tx(['blobs'], 'readonly', 'model parameters', (tx) =>
      tx.objectStore('blobs').getKey(hash),
    );
    return key !== undefined;
  }

  /** Deletes every blob whose hash is not in `keep`; returns how many were deleted. */
  async pruneBlobs(keep: ReadonlySet<string>): Promise<number> {
    return this.tx(['blobs'], 'readwrite', 'model parameters', async (tx) => {
      const store = tx.objectStore('blobs');
      const doomed = (await store.getAllKeys()).filter((hash) => !keep.has(hash));
      for (const hash of doomed) await store.delete(hash);
      return doomed.length;
    });
  }

  /** Number of stored blobs and their total size in bytes. */
  async usage(): Promise<{ count: number; bytes: number }> {
    return this.tx(['blobs'], 'readonly', 'model parameters', async (tx) => {
      let count = 0;
      let bytes = 0;
      // A key cursor on the size index reads no blob bytes.
      let cursor = await tx.objectStore('blobs').index('bySize').openKeyCursor();
      while (cursor) {
        count++;
        bytes += cursor.key;
        cursor = await cursor.continue();
      }
      return { count, bytes };
    });
  }

  // ---- pending pool -------------------------------------------------------------------------

  /**
   * Keeps an item of the node's pending pool (a commit, reveal, vote, transaction …) across
   * restarts. `id` is the key across all kinds (use the item's hash); values must be plain data
   * with a canonical encoding (see core/encoding), at most 1 MiB encoded.
   */
  async putPending(kind: string, id: string, value: unknown): Promise<void> {
    if (typeof kind !== 'string' || !PENDING_KIND.test(kind)) {
      throw new InvalidInputError('putPending: kind must be 1-32 characters of a-z, 0-9 and -');
    }
    if (typeof id !== 'string' || !PENDING_ID.test(id)) {
      throw new InvalidInputError('putPending: id must be 1-128 printable ASCII characters');
    }
    let size: number;
    try {
      size = encodeCanonical(value).length;
    } catch (err) {
      if (err instanceof EncodingError) {
        throw new InvalidInputError(`putPending: the value is not plain data: ${err.message}`);
      }
      throw err;
    }
    if (size > STORE_LIMITS.maxPendingBytes) {
      throw new InvalidInputError(`putPending: the value is ${size} bytes, over the limit`);
    }
    const record: PendingRecord = { id, kind, value, addedAt: this.now() };
    await this.tx(['pending'], 'readwrite', 'the pending pool', async (tx) => {
      await tx.objectStore('pending').put(record);
    });
  }

  /** Pending items (of one kind, or all), oldest first. */
  async listPending(kind?: string): Promise<PendingItem[]> {
    const records = await this.tx(['pending'], 'readonly', 'the pending pool', (tx) => {
      const store = tx.objectStore('pending');
      return kind === undefined ? store.getAll() : store.index('byKind').getAll(kind);
    });
    return records
      .map(({ id, kind, value, addedAt }) => ({ id, kind, value, addedAt }))
      .sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async deletePending(ids: readonly string[]): Promise<void> {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new InvalidInputError('deletePending: ids must be strings');
    }
    await this.tx(['pending'], 'readwrite', 'the pending pool', async (tx) => {
      const store = tx.objectStore('pending');
      for (const id of ids) await store.delete(id);
    });
  }

  // ---- settings -----------------------------------------------------------------------------

  async getSetting(key: string): Promise<JsonValue | undefined> {
    if (typeof key !== 'string' || !SETTING_KEY.test(key)) return undefined;
    return this.tx(['settings'], 'readonly', 'settings', (tx) =>
      tx.objectStore('settings').get(key),
    );
  }

  /** Stores a JSON value (at most 64 KiB as JSON) under a 1-64 character key. */
  async setSetting(key: string, value: JsonValue): Promise<void> {
    if (typeof key !== 'string' || !SETTING_KEY.test(key)) {
      throw new InvalidInputError('setSetting: key must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    }
    const problem = jsonProblem(value, 'value', 0);
    if (problem) throw new InvalidInputError(`setSetting: ${problem}`);
    const json = JSON.stringify(value);
    if (json.length > STORE_LIMITS.maxSettingBytes) {
      throw new InvalidInputError(
        `setSetting: the value is ${json.length} bytes as JSON, over the limit`,
      );
    }
    // Stored as its JSON round trip: exactly what a reader will get back.
    const plain = JSON.parse(json) as JsonValue;
    await this.tx(['settings'], 'readwrite', 'settings', async (tx) => {
      await tx.objectStore('settings').put(plain, key);
    });
  }

  async deleteSetting(key: string): Promise<void> {
    if (typeof key !== 'string' || !SETTING_KEY.test(key)) return;
    await this.tx(['settings'], 'readwrite', 'settings', async (tx) => {
      await tx.objectStore('settings').delete(key);
    });
  }

  // ---- export -------------------------------------------------------------------------------

  /**
   * The main chain (and with `includeIdentity` the identity seed: whoever has the file owns the
   * account) as an archive (archive.ts), read in one transaction so it is one consistent head.
   */
  async exportArchive(options: { readonly includeIdentity?: boolean } = {}): Promise<Uint8Array> {
    const archive = await this.tx(
      ['head', 'mainChain', 'blocks', 'identity'],
      'readonly',
      'the archive',
      async (tx): Promise<ChainArchive> => {
        const head = await tx.objectStore('head').get(HEAD_KEY);
        if (!head) throw new StorageError('nothing to export: this profile has no chain yet');
        const hashes =
          head.height === 0
            ? []
            : await tx.objectStore('mainChain').getAll(IDBKeyRange.bound(1, head.height));
        const blocks = tx.objectStore('blocks');
        const records = await Promise.all(hashes.map((hash) => blocks.get(hash)));
        if (hashes.length !== head.height || records.some((r) => !r)) {
          throw new StorageError('the stored main chain is incomplete');
        }
        let identitySeed: Uint8Array | undefined;
        if (options.includeIdentity) {
          identitySeed = (await tx.objectStore('identity').get(IDENTITY_KEY))?.seed;
          if (!identitySeed) throw new StorageError('this profile has no identity to export');
        }
        const out = {
          networkId: head.networkId,
          blocks: records.map((r) => (r as BlockRecord).block),
        };
        return identitySeed ? { ...out, identitySeed } : out;
      },
    );
    return encodeArchive(archive);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Closes and deletes this profile's database (tests; "forget this profile"). */
  async destroy(): Promise<void> {
    this.close();
    await deleteDatabase(this.factory, this.name);
  }

  private async tx<const Names extends StoreNames<ChainDB>[], Mode extends IDBTransactionMode, T>(
    stores: Names,
    mode: Mode,
    what: string,
    body: (tx: ChainTx<Names, Mode>) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new StorageError(`the store ${this.name} is closed`);
    return runTransaction(this.db, stores, mode, what, body);
  }
}

export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new StorageError(`could not delete ${name}`));
  });
}

/**
 * Issues requests without waiting for each (they run in order anyway; waiting costs an event
 * loop turn per request) and waits for all. If one fails, even while being issued, the error
 * propagates and the ones already issued (then aborted with the transaction) are observed, so
 * their AbortErrors are not reported as unhandled.
 */
async function issueAll(requests: readonly (() => Promise<unknown>)[]): Promise<void> {
  const issued: Promise<unknown>[] = [];
  try {
    for (const request of requests) issued.push(request());
  } catch (err) {
    for (const promise of issued) promise.catch(() => {});
    throw err;
  }
  await Promise.all(issued);
}

function checkSnapshot(
  snapshot: { readonly hash: Hash; readonly state: ChainState },
  networkId: Hash,
  headHeight: number,
): void {
  const { hash, state } = snapshot;
  if (state.tipHash !== hash) {
    throw new InvalidInputError('commitHead: the snapshot state is not the state after its block');
  }
  if (state.networkId !== networkId || networkIdOf(state.params) !== networkId) {
    throw new InvalidInputError('commitHead: the snapshot belongs to another network');
  }
  if (state.height === 0) {
    throw new InvalidInputError(
      'commitHead: genesis is not stored (loadHead starts from it anyway)',
    );
  }
  if (state.height > headHeight) {
    throw new InvalidInputError('commitHead: the snapshot is above the head');
  }
}

const isHash = (value: unknown): value is Hash =>
  typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInputError(`${name} must be ≥ 1`);
  return value;
}

/** Why `value` is not plain JSON (what JSON.stringify would silently change), or null. */
function jsonProblem(value: unknown, path: string, depth: number): string | null {
  if (depth > 32) return `${path}: nested too deeply`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path}: not finite`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = jsonProblem(item, `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path}: not a plain object`;
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  return `${path}: ${typeof value} is not JSON`;
}
