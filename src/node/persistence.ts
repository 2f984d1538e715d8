/**
 * Keeps the page's chain in IndexedDB (src/storage) in step with its block tree: every head
 * change is written as one atomic commit (new main-chain blocks, the main-chain index, the
 * head and, every 16 blocks, a state snapshot), and on start the tree is restored from the
 * newest snapshot plus the few blocks after it instead of replaying from genesis. Writes are
 * serialized and coalesced: a burst of blocks (a sync) becomes one commit.
 */
import { BlockTree } from '../core/blockTree';
import type { Hash } from '../core/hash';
import type { Block, ChainState } from '../core/schemas';
import type { ChainStore } from '../storage';

const SNAPSHOT_EVERY = 16;

export interface ChainPersistence {
  /** Writes the tree's current main chain head (call after head changes; cheap when idle). */
  schedule(): void;
  /** Resolves once everything scheduled so far is written. */
  flush(): Promise<void>;
  /** The last write error, in words, if any. */
  error(): string | null;
}

/** The tree as stored for this network, or a fresh one at genesis when nothing is stored. */
export async function restoreTree(
  store: ChainStore,
  genesis: ChainState,
  now: () => number,
): Promise<BlockTree> {
  const loaded = await store.loadHead(genesis);
  if (!loaded) return new BlockTree(genesis);
  return BlockTree.restore(genesis, loaded.snapshot, loaded.blocksSinceSnapshot, { now: now() });
}

export function createChainPersistence(store: ChainStore, tree: BlockTree): ChainPersistence {
  /** What the store holds: main-chain hash by height (only the heights we wrote or loaded). */
  const stored = new Map<number, Hash>();
  let storedHead = tree.head.height;
  let lastSnapshot = tree.head.height;
  for (let h = tree.base.height; h <= tree.head.height; h++) {
    const hash = tree.hashAtHeight(h);
    if (hash) stored.set(h, hash);
  }
  let writing: Promise<void> = Promise.resolve();
  let pending = false;
  let lastError: string | null = null;

  async function write(): Promise<void> {
    pending = false;
    const head = tree.head;
    // Walk down from the head to the highest height the store already has right.
    let from = head.height;
    while (from > tree.base.height && stored.get(from) !== tree.hashAtHeight(from)) from--;
    if (from === head.height && storedHead === head.height) return;
    const added: { hash: Hash; block: Block }[] = [];
    const mainChain: { height: number; hash: Hash }[] = [];
    for (let h = from + 1; h <= head.height; h++) {
      const hash = tree.hashAtHeight(h);
      const block = tree.blockAtHeight(h);
      if (!hash || !block) return; // not in this tree (below a restored base): nothing to add
      added.push({ hash, block });
      mainChain.push({ height: h, hash });
    }
    const snapshotNow =
      head.height > 0 &&
      (store.snapshotDue(head.height) || head.height - lastSnapshot >= SNAPSHOT_EVERY);
    await store.commitHead({
      networkId: tree.state.networkId,
      added,
      mainChain,
      head: { hash: head.hash, height: head.height },
      ...(snapshotNow ? { snapshot: { hash: head.hash, state: tree.state } } : {}),
    });
    for (const { height, hash } of mainChain) stored.set(height, hash);
    for (const h of [...stored.keys()]) if (h > head.height) stored.delete(h);
    storedHead = head.height;
    if (snapshotNow) lastSnapshot = head.height;
    lastError = null;
  }

  return {
    schedule() {
      if (pending) return;
      pending = true;
      writing = writing.then(write).catch((err: unknown) => {
        // Kept in memory; the next head change tries again. StorageFullError reads well as is.
        lastError = `could not save the chain: ${err instanceof Error ? err.message : String(err)}`;
      });
    },
    flush: () => writing,
    error: () => lastError,
  };
}
