/** Persistent storage of a node (IndexedDB through idb): see db.ts, chainStore.ts, schema.ts. */
export {
  ARCHIVE_FORMAT,
  ARCHIVE_LIMITS,
  ARCHIVE_VERSION,
  type ChainArchive,
  encodeArchive,
  parseArchive,
} from './archive';
export {
  ChainStore,
  type ChainStoreOptions,
  type HeadChange,
  type LoadedHead,
  type PendingItem,
  STORE_LIMITS,
} from './chainStore';
export {
  chainStoreName,
  DEFAULT_PROFILE,
  deleteChainStore,
  type OpenChainStoreOptions,
  openChainStore,
  PROFILE_PATTERN,
} from './db';
export {
  ArchiveError,
  DatabaseVersionError,
  IdentityExistsError,
  InvalidInputError,
  isQuotaError,
  NetworkMismatchError,
  StorageError,
  StorageFullError,
} from './errors';
export { type JsonValue, MIGRATIONS, type Migration, SCHEMA_VERSION } from './schema';
