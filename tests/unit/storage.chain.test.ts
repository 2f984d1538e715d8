/**
 * ChainStore's chain part: heads committed the way the node commits them (after every block,
 * with a snapshot when due, through reorgs) reload into a BlockTree with the same head and
 * state; a commit is all or nothing (bad input, a failing write, a full disk); the chains of two
 * networks never mix; and the main chain always links up.
 */
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import type { Hash } from '../../src/core/hash';
import type { Block, ChainState } from '../../src/core/schemas';
import {
  type ChainStore,
  type HeadChange,
  InvalidInputError,
  NetworkMismatchError,
  openChainStore,
  StorageFullError,
} from '../../src/storage';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
const keys = devKeys(3, 'storage');
let genesis: ChainState;
let base: DevChain; // heights 1-13
let tail: DevChain; // heights 14-23 on base
let a: DevChain; // heights 14-16 on base (label a)
let b: DevChain; // heights 14-18 on base (label b): heavier than a
let aMore: DevChain; // heights 17-19 on a: a + aMore is heavier than b
let a1State: ChainState; // after a's first block
let tail2State: ChainState; // after tail's second block
let now: number;

beforeAll(() => {
  genesis = genesisState(params);
  base = buildDevChain(params, { length: 13, keys });
  tail = buildDevChain(params, { length: 10, keys, start: base.state });
  a = buildDevChain(params, { length: 3, keys, start: base.state, label: 'a' });
  b = buildDevChain(params, { length: 5, keys, start: base.state, label: 'b' });
  aMore = buildDevChain(params, { length: 3, keys, start: a.state, label: 'a' });
  a1State = buildDevChain(params, { length: 1, keys, start: base.state, label: 'a' }).state;
  tail2State = buildDevChain(params, { length: 2, keys, start: base.state }).state;
  now = Math.max(tail.lastTimestamp, b.lastTimestamp, aMore.lastTimestamp);
});

const stores: ChainStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.destroy();
  vi.restoreAllMocks();
});

async function open(factory = new IDBFactory(), profile = 'test'): Promise<ChainStore> {
  const store = await openChainStore(profile, {
    indexedDB: factory,
    snapshotInterval: 5,
    keepSnapshots: 3,
  });
  stores.push(store);
  return store;
}

const heightOf = (tree: BlockTree, hash: Hash): number =>
  (tree.getBlock(hash) as Block).header.height;

/** What the node commits after `tree.add(block)`: the block, the changed heights, the head. */
function changeAfterAdd(store: ChainStore, tree: BlockTree, block: Block): HeadChange {
  const result = tree.add(block, { now });
  if (result.status !== 'head' && result.status !== 'side') {
    throw new Error(`unexpected ${result.status}`);
  }
  const { hash, height } = tree.head;
  const from =
    result.status === 'side'
      ? height + 1
      : result.reorg
        ? heightOf(tree, result.reorg.commonAncestor) + 1
        : height;
  const mainChain = [];
  for (let h = from; h <= height; h++)
    mainChain.push({ height: h, hash: tree.hashAtHeight(h) as Hash });
  return {
    networkId: genesis.networkId,
    added: [{ hash: result.hash, block }],
    mainChain,
    head: { hash, height },
    ...(store.snapshotDue(height) && result.status === 'head'
      ? { snapshot: { hash, state: tree.state } }
      : {}),
  };
}

async function addAndCommit(store: ChainStore, tree: BlockTree, blocks: readonly Block[]) {
  for (const block of blocks) await store.commitHead(changeAfterAdd(store, tree, block));
}

async function restore(store: ChainStore, reorgDepth = 0): Promise<BlockTree> {
  const loaded = await store.loadHead(genesis, { reorgDepth });
  if (!loaded) throw new Error('nothing stored');
  return BlockTree.restore(genesis, loaded.snapshot, loaded.blocksSinceSnapshot, { now });
}

describe('head and snapshots', () => {
  it('nothing stored loads as null', async () => {
    const store = await open();
    expect(await store.loadHead(genesis)).toBeNull();
    expect(await store.headInfo()).toBeNull();
    expect(await store.mainChainHash(0)).toBeUndefined();
  });

  it('a chain committed block by block reloads into the same head and state', async () => {
    const factory = new IDBFactory();
    const store = await open(factory);
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, [...base.blocks, ...tail.blocks]);
    store.close();

    const again = await open(factory);
    const loaded = await again.loadHead(genesis);
    expect(loaded?.head).toEqual({ hash: tail.hashes[9], height: 23 });
    // The newest snapshot is at 20: only 21-23 are replayed.
    expect(loaded?.snapshot.state.height).toBe(20);
    expect(loaded?.snapshot.block).toEqual(tail.blocks[6] as Block);
    expect(loaded?.blocksSinceSnapshot).toEqual(tail.blocks.slice(7));
    const restored = await restore(again);
    expect(restored.head).toEqual(tree.head);
    expect(restored.state).toStrictEqual(tree.state);
    expect(restored.state).toStrictEqual(tail.state);
    // The store answers below the restored tree's base.
    expect(await again.mainChainHash(3)).toBe(base.hashes[2]);
    expect(await again.mainChainHash(0)).toBe(genesis.networkId);
    expect(await again.mainChainBlocks(12, 3)).toEqual([
      base.blocks[11] as Block,
      base.blocks[12] as Block,
      tail.blocks[0] as Block,
    ]);
    expect(await again.mainChainBlocks(22, 10)).toEqual(tail.blocks.slice(8));
    expect(await again.mainChainBlocks(0, 2)).toEqual([base.blocks[0] as Block]);
    expect(await again.getBlock(base.hashes[4] as Hash)).toEqual(base.blocks[4] as Block);
    expect(await again.getBlock('0'.repeat(64))).toBeUndefined();
  });

  it('keeps the newest snapshots only; reorgDepth picks an older one', async () => {
    const store = await open();
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, [...base.blocks, ...tail.blocks]);
    // keepSnapshots 3: 20, 15 and 10 are kept, 5 was pruned.
    expect((await store.loadHead(genesis, { reorgDepth: 5 }))?.snapshot.state.height).toBe(15);
    expect((await store.loadHead(genesis, { reorgDepth: 9 }))?.snapshot.state.height).toBe(10);
    const deepest = await store.loadHead(genesis, { reorgDepth: 100 });
    expect(deepest?.snapshot.state.height).toBe(10);
    expect(deepest?.blocksSinceSnapshot).toHaveLength(13);
    const restored = await restore(store, 100);
    expect(restored.base.height).toBe(10);
    expect(restored.state).toStrictEqual(tree.state);
  });

  it('without a snapshot yet, loads genesis and every block', async () => {
    const store = await open();
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, base.blocks.slice(0, 4));
    const loaded = await store.loadHead(genesis);
    expect(loaded?.snapshot).toEqual({
      hash: genesis.tipHash,
      block: genesisBlock(params),
      state: genesis,
    });
    expect(loaded?.blocksSinceSnapshot).toEqual(base.blocks.slice(0, 4));
    expect((await restore(store)).state).toStrictEqual(tree.state);
  });

  it('follows reorgs both ways, and side blocks leave the head alone', async () => {
    const factory = new IDBFactory();
    const store = await open(factory);
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, [...base.blocks, ...a.blocks]);
    // b's first blocks are side blocks; the third makes b heavier (a reorg at 14-16).
    await addAndCommit(store, tree, b.blocks);
    expect(tree.head.hash).toBe(b.hashes[4]);
    expect(await store.headInfo()).toMatchObject({ hash: b.hashes[4], height: 18 });
    for (let h = 14; h <= 18; h++) expect(await store.mainChainHash(h)).toBe(b.hashes[h - 14]);
    // a's blocks stay stored (a side branch now).
    expect(await store.getBlock(a.hashes[0] as Hash)).toEqual(a.blocks[0] as Block);
    expect((await restore(store)).state).toStrictEqual(b.state);

    // And back: a + aMore outweighs b.
    await addAndCommit(store, tree, aMore.blocks);
    expect(tree.head.hash).toBe(aMore.hashes[2]);
    store.close();
    const again = await open(factory);
    const loaded = await again.loadHead(genesis);
    // a's snapshot at 15 was pruned while b was the main chain (b reached 15 as a side
    // branch, so it has none): the newest main-chain snapshot left is base's at 10.
    expect(loaded?.snapshot.state.height).toBe(10);
    const restored = await restore(again);
    expect(restored.state).toStrictEqual(aMore.state);
    for (let h = 14; h <= 16; h++) expect(await again.mainChainHash(h)).toBe(a.hashes[h - 14]);
    for (let h = 17; h <= 19; h++) expect(await again.mainChainHash(h)).toBe(aMore.hashes[h - 17]);
  });

  it('a head that moves down drops the heights above it and the snapshots there', async () => {
    const store = await open();
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, [...base.blocks, ...b.blocks]);
    expect((await store.loadHead(genesis))?.snapshot.state.height).toBe(15);
    // The node decided (by work) that a (height 16) is the head: the store records what it is told.
    const added = a.blocks.map((block, i) => ({ hash: a.hashes[i] as Hash, block }));
    await store.commitHead({
      networkId: genesis.networkId,
      added,
      mainChain: a.hashes.map((hash, i) => ({ height: 14 + i, hash })),
      head: { hash: a.hashes[2] as Hash, height: 16 },
    });
    expect(await store.mainChainHash(17)).toBeUndefined();
    expect(await store.mainChainHash(16)).toBe(a.hashes[2]);
    // b's snapshot at 15 is off the main chain: pruned; base's 10 is the newest left.
    const loaded = await store.loadHead(genesis);
    expect(loaded?.snapshot.state.height).toBe(10);
    expect(loaded?.blocksSinceSnapshot).toEqual([...base.blocks.slice(10), ...a.blocks]);
  });
});

describe('commitHead refuses, changing nothing', () => {
  async function committedBase(): Promise<{ store: ChainStore; tree: BlockTree }> {
    const store = await open();
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, base.blocks);
    return { store, tree };
  }

  async function expectUnchanged(store: ChainStore, tree: BlockTree): Promise<void> {
    expect(await store.headInfo()).toEqual({
      networkId: genesis.networkId,
      hash: base.hashes[12],
      height: 13,
    });
    expect(await store.mainChainHash(14)).toBeUndefined();
    for (const hash of [...tail.hashes, ...a.hashes])
      expect(await store.getBlock(hash)).toBeUndefined();
    expect((await restore(store)).state).toStrictEqual(tree.state);
  }

  const extend = (blocks: readonly Block[], hashes: readonly Hash[]): HeadChange => ({
    networkId: genesis.networkId,
    added: blocks.map((block, i) => ({ hash: hashes[i] as Hash, block })),
    mainChain: hashes.map((hash, i) => ({ height: 14 + i, hash })),
    head: { hash: hashes[hashes.length - 1] as Hash, height: 13 + hashes.length },
  });

  it('malformed input: a block that fails its schema among good ones', async () => {
    const { store, tree } = await committedBase();
    const change = extend(tail.blocks.slice(0, 3), tail.hashes.slice(0, 3));
    const broken = { ...tail.blocks[2], signature: 'not hex' } as Block;
    const bad = {
      ...change,
      added: [...change.added.slice(0, 2), { hash: tail.hashes[2] as Hash, block: broken }],
    };
    await expect(store.commitHead(bad)).rejects.toThrow(/added\.2\.block\.signature/);
    await expect(store.commitHead(bad)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.commitHead({ ...change, head: { hash: 'x', height: 1 } })).rejects.toThrow(
      InvalidInputError,
    );
    await expect(store.commitHead(null as unknown as HeadChange)).rejects.toThrow(
      InvalidInputError,
    );
    await expectUnchanged(store, tree);
  });

  it('a block stored under the wrong hash', async () => {
    const { store, tree } = await committedBase();
    const change = extend(tail.blocks.slice(0, 2), tail.hashes.slice(0, 2));
    const swapped = {
      ...change,
      added: [change.added[0], { ...change.added[1], hash: a.hashes[0] as Hash }],
    } as HeadChange;
    await expect(store.commitHead(swapped)).rejects.toThrow(/not the block with hash/);
    await expectUnchanged(store, tree);
  });

  it('a main chain that would not link up (found inside the transaction)', async () => {
    const { store, tree } = await committedBase();
    // Skips height 14: 15 does not extend 13.
    const gap = extend(tail.blocks.slice(0, 3), tail.hashes.slice(0, 3));
    const noFourteen = { ...gap, mainChain: gap.mainChain.slice(1) };
    await expect(store.commitHead(noFourteen)).rejects.toThrow(/no block at 14/);
    // A block of the wrong branch at a height.
    const mixed = extend(
      [tail.blocks[0] as Block, a.blocks[1] as Block],
      [tail.hashes[0] as Hash, a.hashes[1] as Hash],
    );
    await expect(store.commitHead(mixed)).rejects.toThrow(/height 15 does not extend/);
    // A main-chain hash whose block was never stored.
    const missing = {
      ...extend([], []),
      mainChain: [{ height: 14, hash: a.hashes[0] as Hash }],
      head: { hash: a.hashes[0] as Hash, height: 14 },
    };
    await expect(store.commitHead(missing)).rejects.toThrow(/is not stored/);
    // A head that is not the main-chain block at its height.
    const wrongHead = {
      ...extend(tail.blocks.slice(0, 1), tail.hashes.slice(0, 1)),
      head: { hash: a.hashes[0] as Hash, height: 14 },
    };
    await expect(store.commitHead(wrongHead)).rejects.toThrow(/head is not the main-chain block/);
    // A block claimed at a height it is not at.
    const misplaced = {
      networkId: genesis.networkId,
      added: [],
      mainChain: [{ height: 12, hash: base.hashes[10] as Hash }],
      head: { hash: base.hashes[12] as Hash, height: 13 },
    };
    await expect(store.commitHead(misplaced)).rejects.toThrow(/is not at height 12/);
    await expectUnchanged(store, tree);
  });

  it('replacing a height whose unchanged successor would no longer link', async () => {
    const { store } = await committedBase();
    await store.commitHead(extend(tail.blocks.slice(0, 2), tail.hashes.slice(0, 2)));
    // a14 extends 13, but the stored 15 (tail's) does not extend a14.
    const change: HeadChange = {
      networkId: genesis.networkId,
      added: [{ hash: a.hashes[0] as Hash, block: a.blocks[0] as Block }],
      mainChain: [{ height: 14, hash: a.hashes[0] as Hash }],
      head: { hash: tail.hashes[1] as Hash, height: 15 },
    };
    await expect(store.commitHead(change)).rejects.toThrow(
      /height 15 does not extend the new block/,
    );
    expect(await store.mainChainHash(14)).toBe(tail.hashes[0]);
    expect(await store.getBlock(a.hashes[0] as Hash)).toBeUndefined();
  });

  it('a snapshot that is not the state after a main-chain block', async () => {
    const { store, tree } = await committedBase();
    const change = extend(tail.blocks.slice(0, 2), tail.hashes.slice(0, 2));
    await expect(
      store.commitHead({
        ...change,
        snapshot: { hash: tail.hashes[1] as Hash, state: base.state },
      }),
    ).rejects.toThrow(/not the state after its block/);
    await expect(
      store.commitHead({ ...change, snapshot: { hash: a.hashes[2] as Hash, state: a.state } }),
    ).rejects.toThrow(/above the head/);
    await expect(
      store.commitHead({ ...change, snapshot: { hash: genesis.tipHash, state: genesis } }),
    ).rejects.toThrow(/genesis is not stored/);
    const offMain = extend(tail.blocks.slice(0, 3), tail.hashes.slice(0, 3));
    const sideBlock = { hash: a.hashes[0] as Hash, block: a.blocks[0] as Block };
    await expect(
      store.commitHead({
        ...offMain,
        added: [...offMain.added, sideBlock],
        snapshot: { hash: sideBlock.hash, state: a1State },
      }),
    ).rejects.toThrow(/not of a main-chain block/);
    await expectUnchanged(store, tree);
  });

  it('a write that fails halfway: the blocks already put are rolled back', async () => {
    const { store, tree } = await committedBase();
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
      this: IDBObjectStore,
      ...args: Parameters<IDBObjectStore['put']>
    ) {
      // The head is written last: the blocks and heights of this change are already put.
      if (this.name === 'head') throw new DOMException('injected failure', 'UnknownError');
      return put.apply(this, args);
    });
    const change = extend(tail.blocks.slice(0, 5), tail.hashes.slice(0, 5));
    const snapshot = { hash: tail.hashes[1] as Hash, state: tail2State };
    await expect(store.commitHead({ ...change, snapshot })).rejects.toThrow(/injected failure/);
    vi.restoreAllMocks();
    await expectUnchanged(store, tree);
    // The same change goes through once the failure is gone.
    await store.commitHead(change);
    expect(await store.headInfo()).toMatchObject({ hash: tail.hashes[4], height: 18 });
  });

  it('a full disk is a StorageFullError, with nothing half-written', async () => {
    const { store, tree } = await committedBase();
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
      this: IDBObjectStore,
      ...args: Parameters<IDBObjectStore['put']>
    ) {
      if (this.name === 'mainChain') throw new DOMException('quota', 'QuotaExceededError');
      return put.apply(this, args);
    });
    const change = extend(tail.blocks.slice(0, 2), tail.hashes.slice(0, 2));
    const error = await store.commitHead(change).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toMatch(/^Browser storage is full: could not save the chain/);
    expect(((error as Error).cause as DOMException).name).toBe('QuotaExceededError');
    vi.restoreAllMocks();
    await expectUnchanged(store, tree);
  });
  it('a full disk reported only as the reason the transaction aborted', async () => {
    const { store, tree } = await committedBase();
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
      this: IDBObjectStore,
      ...args: Parameters<IDBObjectStore['put']>
    ) {
      const request = put.apply(this, args);
      // As browsers do when the disk fills at commit: the pending requests fail with
      // AbortError, and the transaction's error says why.
      if (this.name === 'head') {
        (this.transaction as unknown as { _abort(name: string): void })._abort(
          'QuotaExceededError',
        );
      }
      return request;
    });
    const change = extend(tail.blocks.slice(0, 2), tail.hashes.slice(0, 2));
    await expect(store.commitHead(change)).rejects.toBeInstanceOf(StorageFullError);
    vi.restoreAllMocks();
    await expectUnchanged(store, tree);
  });
});

describe('networks never mix', () => {
  const other = testParams({ name: 'doin-other' });

  it('loading or committing the chain of another network is refused', async () => {
    const store = await open();
    const tree = new BlockTree(genesis);
    await addAndCommit(store, tree, base.blocks.slice(0, 3));
    const otherGenesis = genesisState(other);
    expect(otherGenesis.networkId).not.toBe(genesis.networkId);
    await expect(store.loadHead(otherGenesis)).rejects.toBeInstanceOf(NetworkMismatchError);
    await expect(store.loadHead(otherGenesis)).rejects.toThrow(
      /This profile holds the chain of network/,
    );

    const otherChain = buildDevChain(other, { length: 1, keys });
    const change: HeadChange = {
      networkId: otherGenesis.networkId,
      added: [{ hash: otherChain.hashes[0] as Hash, block: otherChain.blocks[0] as Block }],
      mainChain: [{ height: 1, hash: otherChain.hashes[0] as Hash }],
      head: { hash: otherChain.hashes[0] as Hash, height: 1 },
    };
    await expect(store.commitHead(change)).rejects.toBeInstanceOf(NetworkMismatchError);
    expect(await store.getBlock(otherChain.hashes[0] as Hash)).toBeUndefined();
    expect((await store.headInfo())?.networkId).toBe(genesis.networkId);

    // A snapshot must be of the network it is committed under.
    const next = changeAfterAdd(store, tree, base.blocks[3] as Block);
    await expect(
      store.commitHead({
        ...next,
        snapshot: {
          hash: next.head.hash,
          state: { ...tree.state, networkId: otherGenesis.networkId },
        },
      }),
    ).rejects.toThrow(/another network/);

    // Clearing the chain (identity and settings stay) lets the profile start over elsewhere.
    await store.setSetting('kept', true);
    await store.clearChain();
    expect(await store.loadHead(otherGenesis)).toBeNull();
    await store.commitHead(change);
    expect((await store.headInfo())?.networkId).toBe(otherGenesis.networkId);
    expect(await store.getSetting('kept')).toBe(true);
  });
});
