/**
 * Opening a profile's database. Each profile (URL parameter `profile=`) has its own database,
 * `doin-<profile>`, so several nodes in one browser keep separate identities and chains.
 * Opening runs the missing schema migrations (schema.ts) in the browser's upgrade transaction;
 * if one fails, the upgrade is rolled back and the database stays at its old version.
 */
import { type IDBPDatabase, type IDBPTransaction, wrap } from 'idb';
import { ChainStore, type ChainStoreOptions, deleteDatabase } from './chainStore';
import {
  DatabaseVersionError,
  InvalidInputError,
  StorageError,
  toStorageOpenError,
} from './errors';
import { type ChainDB, MIGRATIONS, type Migration } from './schema';

export const PROFILE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const DEFAULT_PROFILE = 'default';

export interface OpenChainStoreOptions extends ChainStoreOptions {
  /** The IndexedDB to use; default the browser's (tests pass fake-indexeddb's). */
  readonly indexedDB?: IDBFactory;
  /**
   * The schema steps (default MIGRATIONS; the version is their count). Tests pass a longer list
   * to exercise an upgrade; the app never sets it.
   */
  readonly migrations?: readonly Migration[];
}

export function chainStoreName(profile: string): string {
  if (typeof profile !== 'string' || !PROFILE_PATTERN.test(profile)) {
    throw new InvalidInputError(
      `profile names are 1-32 characters of A-Z, a-z, 0-9, _ and - (got ${JSON.stringify(profile)})`,
    );
  }
  return `doin-${profile}`;
}

export async function openChainStore(
  profile: string,
  options: OpenChainStoreOptions = {},
): Promise<ChainStore> {
  const name = chainStoreName(profile);
  const factory = indexedDBOf(options);
  const migrations = options.migrations ?? MIGRATIONS;
  if (migrations.length < 1) throw new InvalidInputError('at least one migration is needed');
  const db = await openDatabase(factory, name, migrations);
  return new ChainStore(db, name, factory, options);
}

/** Deletes a profile's database without opening it ("forget this profile"). */
export async function deleteChainStore(
  profile: string,
  options: { readonly indexedDB?: IDBFactory } = {},
): Promise<void> {
  await deleteDatabase(indexedDBOf(options), chainStoreName(profile));
}

function indexedDBOf(options: { readonly indexedDB?: IDBFactory }): IDBFactory {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new StorageError(
      'This browser offers no IndexedDB storage (a private window may disable it): the node cannot keep its chain.',
    );
  }
  return factory;
}

async function openDatabase(
  factory: IDBFactory,
  name: string,
  migrations: readonly Migration[],
): Promise<IDBPDatabase<ChainDB>> {
  const version = migrations.length;
  let migrationError: unknown = null;
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, version);
  } catch (err) {
    throw toStorageOpenError(err, name);
  }
  request.addEventListener('upgradeneeded', (event) => {
    const db = wrap(request.result) as IDBPDatabase<unknown>;
    const tx = wrap(request.transaction as IDBTransaction) as unknown as IDBPTransaction<
      unknown,
      string[],
      'versionchange'
    >;
    // A failed upgrade surfaces through the open request; its `done` must not go unhandled.
    tx.done.catch(() => {});
    runMigrations(migrations, db, tx, event.oldVersion, version).catch((err) => {
      migrationError = err;
      try {
        tx.abort(); // the open then fails and the database keeps its old version
      } catch {
        // already aborted by the failed request
      }
    });
  });
  try {
    return (await wrap(request)) as unknown as IDBPDatabase<ChainDB>;
  } catch (err) {
    if (migrationError !== null) {
      throw new StorageError(
        `could not upgrade ${name}: ${(migrationError as Error).message ?? String(migrationError)}`,
        { cause: migrationError },
      );
    }
    if ((err as { name?: unknown }).name === 'VersionError') {
      throw new DatabaseVersionError(
        `${name} was written by a newer version of doin (schema newer than ${version}): reload the page to get it`,
        { cause: err },
      );
    }
    throw toStorageOpenError(err, name);
  }
}

async function runMigrations(
  migrations: readonly Migration[],
  db: IDBPDatabase<unknown>,
  tx: IDBPTransaction<unknown, string[], 'versionchange'>,
  from: number,
  to: number,
): Promise<void> {
  for (let version = from; version < to; version++) {
    await (migrations[version] as Migration)(db, tx);
  }
}
