/**
 * Errors the storage layer throws. Each has a message a user (or the node's log) can act on;
 * the node tells them apart with `instanceof` (or `name`, across realms).
 */

export class StorageError extends Error {
  override name = 'StorageError';
}

/** Malformed or inconsistent input to a write; nothing was written. */
export class InvalidInputError extends StorageError {
  override name = 'InvalidInputError';
}

/** The browser refused to store more (QuotaExceededError); the transaction was rolled back. */
export class StorageFullError extends StorageError {
  override name = 'StorageFullError';
}

/** The profile holds the chain of another network: chains of two networks are never mixed. */
export class NetworkMismatchError extends StorageError {
  override name = 'NetworkMismatchError';
  constructor(
    readonly stored: string,
    readonly expected: string,
  ) {
    super(
      `This profile holds the chain of network ${stored.slice(0, 12)}…, not of network ` +
        `${expected.slice(0, 12)}… it was asked for: use another profile, or clear this one's chain first.`,
    );
  }
}

/** saveIdentity would overwrite a different key (and lose the account behind it). */
export class IdentityExistsError extends StorageError {
  override name = 'IdentityExistsError';
}

/** An exported archive is unreadable, malformed, too large or tampered with. */
export class ArchiveError extends StorageError {
  override name = 'ArchiveError';
}

/** The database was written by a newer version of the app than the one running. */
export class DatabaseVersionError extends StorageError {
  override name = 'DatabaseVersionError';
}

/** Browsers report a full disk or origin quota under these names (Firefox: the legacy one). */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

export function storageFull(what: string, cause: unknown): StorageFullError {
  return new StorageFullError(
    `Browser storage is full: could not save ${what}. Free some space (forget unused profiles ` +
      'or site data) and try again; nothing was half-written.',
    { cause },
  );
}

export function toStorageOpenError(err: unknown, name: string): StorageError {
  if (err instanceof StorageError) return err;
  if (isQuotaError(err)) return storageFull(`a new database (${name})`, err);
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(`could not open the database ${name}: ${message}`, { cause: err });
}
