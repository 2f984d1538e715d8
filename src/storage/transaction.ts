/**
 * Runs a body inside one IndexedDB transaction and makes its outcome all or nothing: when the
 * body throws (bad input found while reading, a failed request, a full disk) the transaction is
 * aborted, so none of its writes land, and the error is mapped (QuotaExceededError becomes
 * StorageFullError). The body must await only IndexedDB requests, or the browser commits the
 * transaction early.
 */
import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { isQuotaError, StorageError, storageFull } from './errors';
import type { ChainDB } from './schema';

export type ChainTx<
  Names extends StoreNames<ChainDB>[],
  Mode extends IDBTransactionMode,
> = IDBPTransaction<ChainDB, Names, Mode>;

export async function runTransaction<
  const Names extends StoreNames<ChainDB>[],
  Mode extends IDBTransactionMode,
  T,
>(
  db: IDBPDatabase<ChainDB>,
  stores: Names,
  mode: Mode,
  what: string,
  body: (tx: ChainTx<Names, Mode>) => Promise<T>,
): Promise<T> {
  let tx: ChainTx<Names, Mode> | undefined;
  try {
    tx = db.transaction(stores, mode);
    // Observed below; without this an early failure of the body would leave the rejection of
    // `done` (AbortError) unhandled.
    tx.done.catch(() => {});
    const result = await body(tx);
    await tx.done;
    return result;
  } catch (err) {
    if (tx) abortQuietly(tx);
    throw mapError(err, tx, what);
  }
}

/** What the error path needs of a transaction, whatever its stores. */
interface Abortable {
  abort(): void;
  readonly error: DOMException | null;
}

function abortQuietly(tx: Abortable): void {
  try {
    tx.abort();
  } catch {
    // Already finished or aborted (a failed request aborts its transaction by itself).
  }
}

function mapError(err: unknown, tx: Abortable | undefined, what: string): unknown {
  if (err instanceof StorageError) return err;
  // A quota failure may surface on the request or only as the transaction's abort reason.
  let txError: unknown = null;
  try {
    txError = tx?.error ?? null;
  } catch {
    // Reading `error` of a live transaction throws in some engines.
  }
  if (isQuotaError(err) || isQuotaError(txError)) return storageFull(what, err);
  return err;
}
