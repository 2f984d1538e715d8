/**
 * ChainStore outside the chain: profiles (one database each), schema migrations, the identity,
 * content-addressed blobs, the pending pool and settings, and how failures surface (a full disk
 * as StorageFullError, bad input as InvalidInputError, with nothing written).
 */
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { paramsHash } from '../../src/core/hash';
import {
  type ChainStore,
  chainStoreName,
  DatabaseVersionError,
  deleteChainStore,
  IdentityExistsError,
  InvalidInputError,
  isQuotaError,
  type JsonValue,
  MIGRATIONS,
  type Migration,
  type OpenChainStoreOptions,
  openChainStore,
  SCHEMA_VERSION,
  StorageError,
  StorageFullError,
} from '../../src/storage';

const stores: ChainStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const store of stores.splice(0)) await store.destroy();
});

async function open(
  profile = 'test',
  options: OpenChainStoreOptions = { indexedDB: new IDBFactory() },
): Promise<ChainStore> {
  const store = await openChainStore(profile, options);
  stores.push(store);
  return store;
}

/** The version and store names of a database, read with plain IndexedDB. */
function inspect(
  factory: IDBFactory,
  name: string,
): Promise<{ version: number; stores: string[] }> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => {
      const db = request.result;
      resolve({ version: db.version, stores: [...db.objectStoreNames].sort() });
      db.close();
    };
    request.onerror = () => reject(request.error);
  });
}

const seed = (fill: number) => new Uint8Array(32).fill(fill);

/** Makes every put on the named store throw `error` (as a browser's full disk would). */
function failPuts(storeName: string, error: DOMException): void {
  const put = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
    this: IDBObjectStore,
    ...args: Parameters<IDBObjectStore['put']>
  ) {
    if (this.name === storeName) throw error;
    return put.apply(this, args);
  });
}

describe('profiles', () => {
  it('each profile is its own database', async () => {
    const factory = new IDBFactory();
    const alice = await open('alice', { indexedDB: factory });
    const bob = await open('bob-2', { indexedDB: factory });
    expect(alice.name).toBe('doin-alice');
    await alice.saveIdentity(seed(1));
    await alice.setSetting('role', 'evaluator');
    expect(await bob.loadIdentity()).toBeNull();
    expect(await bob.getSetting('role')).toBeUndefined();
    await bob.saveIdentity(seed(2));
    expect(await alice.loadIdentity()).toEqual(seed(1));

    // Forgetting one profile leaves the other.
    await alice.destroy();
    const fresh = await open('alice', { indexedDB: factory });
    expect(await fresh.loadIdentity()).toBeNull();
    expect(await bob.loadIdentity()).toEqual(seed(2));
    bob.close();
    await deleteChainStore('bob-2', { indexedDB: factory });
    expect(await (await open('bob-2', { indexedDB: factory })).loadIdentity()).toBeNull();
  });

  it('refuses profile names that are not 1-32 of A-Z a-z 0-9 _ -', async () => {
    for (const bad of ['', 'a b', 'x'.repeat(33), '../x', 'ü', 'a.b']) {
      expect(() => chainStoreName(bad)).toThrow(InvalidInputError);
      await expect(openChainStore(bad, { indexedDB: new IDBFactory() })).rejects.toThrow(
        /profile names/,
      );
    }
    expect(chainStoreName('A_z-09')).toBe('doin-A_z-09');
  });

  it('a closed store says so', async () => {
    const store = await open();
    store.close();
    expect(store.isClosed).toBe(true);
    await expect(store.loadIdentity()).rejects.toThrow(/is closed/);
  });
});

describe('migrations', () => {
  it('a new database gets the current schema', async () => {
    const factory = new IDBFactory();
    await open('m', { indexedDB: factory });
    stores.pop()?.close();
    expect(await inspect(factory, 'doin-m')).toEqual({
      version: SCHEMA_VERSION,
      stores: [
        'blobs',
        'blocks',
        'head',
        'identity',
        'mainChain',
        'pending',
        'settings',
        'snapshots',
      ],
    });
  });

  it('opening a v1 database with a newer schema runs only the new step, keeping the data', async () => {
    const factory = new IDBFactory();
    const v1 = await openChainStore('m', { indexedDB: factory });
    await v1.saveIdentity(seed(7));
    await v1.putPending('vote', 'v1', { metric: 1 });
    v1.close();

    const ran: number[] = [];
    const v2: Migration = async (db, tx) => {
      ran.push(2);
      db.createObjectStore('peers', { keyPath: 'id' });
      // Rewrites records of an existing store inside the upgrade transaction.
      const pending = tx.objectStore('pending');
      for (const record of await pending.getAll()) await pending.put({ ...record, kind: 'ballot' });
    };
    const migrations = [...MIGRATIONS, v2];
    const upgraded = await open('m', { indexedDB: factory, migrations });
    expect(ran).toEqual([2]);
    expect(await upgraded.loadIdentity()).toEqual(seed(7));
    expect((await upgraded.listPending('ballot')).map((p) => p.id)).toEqual(['v1']);
    upgraded.close();
    expect(await inspect(factory, 'doin-m')).toMatchObject({ version: 2 });
    expect((await inspect(factory, 'doin-m')).stores).toContain('peers');

    // Opening again at the same version runs nothing.
    await open('m', { indexedDB: factory, migrations });
    expect(ran).toEqual([2]);
  });

  it('a failing step rolls the whole upgrade back; an older app is told to reload', async () => {
    const factory = new IDBFactory();
    const v1 = await openChainStore('m', { indexedDB: factory });
    await v1.setSetting('theme', 'dark');
    v1.close();
    const addStore: Migration = (db) => {
      db.createObjectStore('half-done');
    };
    const broken: Migration = async (_db, tx) => {
      await tx.objectStore('settings').put('light', 'theme');
      throw new Error('step 3 is broken');
    };
    await expect(
      openChainStore('m', { indexedDB: factory, migrations: [...MIGRATIONS, addStore, broken] }),
    ).rejects.toThrow(/could not upgrade doin-m: step 3 is broken/);
    expect(await inspect(factory, 'doin-m')).toMatchObject({ version: 1 });
    expect((await inspect(factory, 'doin-m')).stores).not.toContain('half-done');

    // Upgrade to v2, then open with v1 code.
    (
      await openChainStore('m', { indexedDB: factory, migrations: [...MIGRATIONS, addStore] })
    ).close();
    await expect(openChainStore('m', { indexedDB: factory })).rejects.toBeInstanceOf(
      DatabaseVersionError,
    );
    const store = await open('m', { indexedDB: factory, migrations: [...MIGRATIONS, addStore] });
    expect(await store.getSetting('theme')).toBe('dark');
  });
});

describe('identity', () => {
  it('is saved once and never silently replaced', async () => {
    const store = await open();
    expect(await store.loadIdentity()).toBeNull();
    await store.saveIdentity(seed(1));
    expect(await store.loadIdentity()).toEqual(seed(1));
    await store.saveIdentity(seed(1)); // the same seed again: nothing changes
    await expect(store.saveIdentity(seed(2))).rejects.toBeInstanceOf(IdentityExistsError);
    expect(await store.loadIdentity()).toEqual(seed(1));
    await store.saveIdentity(seed(2), { replace: true });
    expect(await store.loadIdentity()).toEqual(seed(2));
  });

  it('refuses anything but 32 bytes, and hands out copies', async () => {
    const store = await open();
    for (const bad of [new Uint8Array(31), new Uint8Array(33), 'seed', [...seed(1)]]) {
      await expect(store.saveIdentity(bad as Uint8Array)).rejects.toBeInstanceOf(InvalidInputError);
    }
    const mine = seed(3);
    await store.saveIdentity(mine);
    mine.fill(0);
    const loaded = await store.loadIdentity();
    expect(loaded).toEqual(seed(3));
    (loaded as Uint8Array).fill(9);
    expect(await store.loadIdentity()).toEqual(seed(3));
  });
});

describe('blobs', () => {
  const params = (n: number, scale: number) =>
    Float32Array.from({ length: n }, (_, i) => (i + 1) * scale);

  it('are stored under their content hash, counted, and pruned to a keep set', async () => {
    const store = await open();
    const blobs = [params(16, 0.5), params(100, -1.25), params(3, 1e-3)];
    const hashes = blobs.map(paramsHash);
    for (const [i, blob] of blobs.entries()) await store.putBlob(hashes[i] as string, blob);
    await store.putBlob(hashes[0] as string, blobs[0] as Float32Array); // again: no duplicate
    expect(await store.getBlob(hashes[1] as string)).toEqual(blobs[1]);
    expect(await store.hasBlob(hashes[2] as string)).toBe(true);
    expect(await store.usage()).toEqual({ count: 3, bytes: (16 + 100 + 3) * 4 });

    expect(await store.pruneBlobs(new Set([hashes[1] as string, 'unrelated']))).toBe(2);
    expect(await store.getBlob(hashes[0] as string)).toBeUndefined();
    expect(await store.hasBlob(hashes[2] as string)).toBe(false);
    expect(await store.getBlob(hashes[1] as string)).toEqual(blobs[1]);
    expect(await store.usage()).toEqual({ count: 1, bytes: 400 });
    expect(await store.pruneBlobs(new Set())).toBe(1);
    expect(await store.usage()).toEqual({ count: 0, bytes: 0 });
  });

  it('a view into a larger buffer is stored as just its parameters', async () => {
    const store = await open();
    const whole = params(10, 2);
    const view = whole.subarray(2, 6);
    await store.putBlob(paramsHash(view), view);
    const back = await store.getBlob(paramsHash(view));
    expect(back).toEqual(view);
    expect(back?.buffer.byteLength).toBe(16);
  });

  it('refuses a hash the parameters do not have, and malformed input', async () => {
    const store = await open();
    const blob = params(8, 1);
    const other = paramsHash(params(8, 2));
    await expect(store.putBlob(other, blob)).rejects.toThrow(/hash to [0-9a-f]{64}, not/);
    await expect(store.putBlob('ABC', blob)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      store.putBlob(paramsHash(blob), [1, 2] as unknown as Float32Array),
    ).rejects.toThrow(/Float32Array/);
    await expect(store.putBlob(paramsHash(new Float32Array()), new Float32Array())).rejects.toThrow(
      /out of range/,
    );
    expect(await store.usage()).toEqual({ count: 0, bytes: 0 });
    expect(await store.getBlob('nonsense')).toBeUndefined();
  });

  it('a full disk is a StorageFullError a user understands', async () => {
    const store = await open();
    failPuts('blobs', new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    const blob = params(8, 1);
    const error = await store.putBlob(paramsHash(blob), blob).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StorageFullError);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /^Browser storage is full: could not save model parameters\./,
    );
    vi.restoreAllMocks();
    expect(await store.usage()).toEqual({ count: 0, bytes: 0 });
  });
});

describe('pending pool', () => {
  it('keeps items by id, lists them by kind, oldest first, and deletes them', async () => {
    let clock = 1_000;
    const store = await open('test', { indexedDB: new IDBFactory(), now: () => clock++ });
    await store.putPending('commit', 'c2', { domain: 'q', metric: 0.5 });
    await store.putPending('vote', 'v1', { metric: 0.25, bytes: new Uint8Array([1, 2]) });
    await store.putPending('commit', 'c1', { domain: 'q', metric: 0.75 });
    expect((await store.listPending()).map((p) => p.id)).toEqual(['c2', 'v1', 'c1']);
    const commits = await store.listPending('commit');
    expect(commits).toEqual([
      { id: 'c2', kind: 'commit', value: { domain: 'q', metric: 0.5 }, addedAt: 1_000 },
      { id: 'c1', kind: 'commit', value: { domain: 'q', metric: 0.75 }, addedAt: 1_002 },
    ]);
    expect((await store.listPending('vote'))[0]?.value).toEqual({
      metric: 0.25,
      bytes: new Uint8Array([1, 2]),
    });
    await store.deletePending(['c2', 'v1', 'missing']);
    expect((await store.listPending()).map((p) => p.id)).toEqual(['c1']);
    expect(await store.listPending('unknown-kind')).toEqual([]);
  });

  it('refuses values that are not plain data, oversized ones and bad names', async () => {
    const store = await open();
    const bad: unknown[] = [
      undefined,
      () => 1,
      { when: new Date(0) },
      { nested: { x: undefined } },
      Number.NaN,
      new Float32Array(2),
      'x'.repeat(1024 * 1024 + 1),
    ];
    for (const value of bad) {
      await expect(store.putPending('vote', 'id', value)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(store.putPending('Vote', 'id', 1)).rejects.toThrow(/kind/);
    await expect(store.putPending('vote', '', 1)).rejects.toThrow(/id/);
    await expect(store.putPending('vote', 'a b', 1)).rejects.toThrow(/id/);
    await expect(store.deletePending([1] as unknown as string[])).rejects.toThrow(/strings/);
    expect(await store.listPending()).toEqual([]);
  });
});

describe('settings', () => {
  it('stores JSON values', async () => {
    const store = await open();
    const value: JsonValue = {
      backend: 'wasm',
      threads: 2,
      ratio: 0.5,
      hosts: ['a', 'b'],
      x: null,
    };
    await store.setSetting('worker.options', value);
    expect(await store.getSetting('worker.options')).toEqual(value);
    await store.setSetting('worker.options', false);
    expect(await store.getSetting('worker.options')).toBe(false);
    await store.deleteSetting('worker.options');
    expect(await store.getSetting('worker.options')).toBeUndefined();
  });

  it('refuses what JSON would change, oversized values and bad keys', async () => {
    const store = await open();
    const bad: unknown[] = [
      undefined,
      Number.POSITIVE_INFINITY,
      new Date(0),
      { a: undefined },
      [1, () => 2],
      new Map(),
      'x'.repeat(64 * 1024),
    ];
    for (const value of bad) {
      await expect(store.setSetting('k', value as JsonValue)).rejects.toBeInstanceOf(
        InvalidInputError,
      );
    }
    await expect(store.setSetting('', 1)).rejects.toThrow(/key/);
    await expect(store.setSetting('a b', 1)).rejects.toThrow(/key/);
    expect(await store.getSetting('k')).toBeUndefined();
  });
});

describe('quota errors', () => {
  it('are recognised by the names browsers give them', () => {
    expect(isQuotaError(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });

  it('settings, identity and the pending pool report a full disk the same way', async () => {
    const store = await open();
    const full = new DOMException('full', 'QuotaExceededError');
    failPuts('settings', full);
    await expect(store.setSetting('k', 1)).rejects.toThrow(/^Browser storage is full: .*settings/);
    failPuts('identity', full);
    await expect(store.saveIdentity(seed(1))).rejects.toBeInstanceOf(StorageFullError);
    failPuts('pending', full);
    await expect(store.putPending('vote', 'v', 1)).rejects.toBeInstanceOf(StorageFullError);
    vi.restoreAllMocks();
    expect(await store.loadIdentity()).toBeNull();
    expect(await store.getSetting('k')).toBeUndefined();
    expect(await store.listPending()).toEqual([]);
  });
});
