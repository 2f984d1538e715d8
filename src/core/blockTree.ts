/**
 * An in-memory block tree with fork choice. It validates every block against its parent's state,
 * keeps the heaviest valid head, and on a reorg rebuilds state by replaying blocks from the
 * common ancestor (or the nearest kept state below it). Blocks whose parent is unknown wait as orphans until it
 * arrives. Storage (IndexedDB) persists what this holds; the rules live here.
 *
 * A tree either starts at genesis (constructor) or is restored from a stored, trusted snapshot
 * (BlockTree.restore): then it holds genesis, the snapshot block and what follows, and nothing
 * in between: `base` says where its main-chain knowledge starts, and below it the node asks the
 * store (mainChainHash / mainChainBlocks).
 */
import { type ApplyOptions, applyBoundBlock, type BlockError, checkBlockBinding } from './chain';
import { compareHeads, type HeadCandidate } from './forkChoice';
import { genesisBlock, networkIdOf } from './genesis';
import type { Hash } from './hash';
import { blockHash } from './objects';
import type { OptimaeAssessment } from './poo';
import { type Block, BlockSchema, type ChainState, parse } from './schemas';

const RECENT_STATES = 8;

interface Entry extends HeadCandidate {
  readonly block: Block;
  readonly height: number;
  readonly parent: Hash | null;
}

export type AddResult =
  | { status: 'head'; hash: Hash; reorg: Reorg | null; assessments: readonly OptimaeAssessment[] }
  | { status: 'side'; hash: Hash }
  | { status: 'orphan'; hash: Hash; missingParent: Hash }
  | { status: 'duplicate'; hash: Hash }
  | { status: 'invalid'; hash: Hash | null; error: BlockError };

export interface Reorg {
  readonly from: Hash;
  readonly to: Hash;
  readonly commonAncestor: Hash;
  /** Blocks of the old chain that are no longer on the main chain (newest first). */
  readonly abandoned: readonly Hash[];
}

export interface BlockTreeOptions {
  /** Keep a state snapshot every this many heights on the main chain (reorg replay start). */
  readonly snapshotInterval?: number;
  readonly maxOrphans?: number;
}

/** A stored state and the block it is the state after: where a restored tree starts. */
export interface TrustedSnapshot {
  readonly hash: Hash;
  readonly block: Block;
  readonly state: ChainState;
}

export class BlockTree {
  private readonly entries = new Map<Hash, Entry>();
  private readonly snapshots = new Map<Hash, ChainState>();
  private readonly recent = new Map<Hash, ChainState>();
  /**
   * Refused blocks by hash. The hash covers the header only, so only blocks whose signature and
   * body are bound to the header (checkBlockBinding) are remembered here, and only verdicts
   * that follow from the block and its parent (not from the local clock).
   */
  private readonly invalid = new Map<Hash, BlockError>();
  /** Blocks whose parent is unknown, by hash, oldest first; all bound (checkBlockBinding). */
  private readonly orphans = new Map<Hash, Block>();
  private readonly networkId: Hash;
  private headHash: Hash;
  private headState: ChainState;
  /** Main-chain block hash by height (index 0 = genesis), kept in step with the head. */
  private readonly mainHashes: Hash[];
  private readonly snapshotInterval: number;
  private readonly maxOrphans: number;
  /** Height of the restore snapshot (0 for a tree built from genesis); see `base`. */
  private baseHeight = 0;

  constructor(genesis: ChainState, options: BlockTreeOptions = {}) {
    this.snapshotInterval = options.snapshotInterval ?? 16;
    this.maxOrphans = options.maxOrphans ?? 256;
    const block = genesisBlock(genesis.params);
    const hash = blockHash(block.header);
    if (hash !== genesis.tipHash || genesis.height !== 0) {
      throw new Error('BlockTree must start from the genesis state');
    }
    this.entries.set(hash, { hash, block, height: 0, parent: null, cumulativeWork: 0 });
    this.snapshots.set(hash, genesis);
    this.headHash = hash;
    this.headState = genesis;
    this.mainHashes = [hash];
    this.networkId = genesis.networkId;
  }

  /**
   * Rebuilds a tree from a snapshot the node stored itself (so it is trusted: not re-validated
   * beyond its identity), then adds `blocksAfter` (the main-chain blocks above it, in height
   * order) through the normal rules, so starting up replays a few blocks instead of the chain.
   * Every block must extend the head; anything else means the store is inconsistent and throws.
   *
   * The restored tree holds genesis, the snapshot block and its descendants. Blocks between
   * genesis and the snapshot are unknown to it: `has` is false for them, `hashAtHeight` /
   * `blockAtHeight` return undefined for 0 < height < base.height, and `mainChain()` starts at
   * the snapshot block. A fork from below the snapshot only connects if it arrives from genesis.
   */
  static restore(
    genesis: ChainState,
    snapshot: TrustedSnapshot,
    blocksAfter: readonly Block[],
    options: BlockTreeOptions & ApplyOptions = {},
  ): BlockTree {
    const tree = new BlockTree(genesis, options);
    const { hash, block, state } = snapshot;
    if (state.networkId !== genesis.networkId || networkIdOf(state.params) !== genesis.networkId) {
      throw new Error('restore: the snapshot belongs to another network');
    }
    if (state.tipHash !== hash || blockHash(block.header) !== hash) {
      throw new Error('restore: the snapshot state, block and hash do not match');
    }
    if (block.header.height !== state.height) {
      throw new Error('restore: the snapshot block height does not match its state');
    }
    if (state.height > 0) {
      tree.entries.set(hash, {
        hash,
        block,
        height: state.height,
        // Not in the tree: walks back (mainChain, replays, reorgs) stop at the snapshot.
        parent: block.header.prevHash,
        cumulativeWork: state.cumulativeWork,
      });
      tree.snapshots.set(hash, state);
      tree.headHash = hash;
      tree.headState = state;
      // Heights 1 .. height-1 stay holes (undefined): the tree does not know those blocks.
      tree.mainHashes[state.height] = hash;
      tree.baseHeight = state.height;
    }
    const apply: ApplyOptions = options.now === undefined ? {} : { now: options.now };
    for (const next of blocksAfter) {
      const result = tree.add(next, apply);
      if (result.status !== 'head') {
        const why = result.status === 'invalid' ? `: ${result.error.message}` : '';
        throw new Error(
          `restore: stored block at height ${next.header.height} did not extend the head (${result.status}${why})`,
        );
      }
    }
    return tree;
  }

  /**
   * Where this tree's main-chain knowledge starts: genesis for a tree built from genesis, the
   * snapshot block for a restored one (heights strictly between genesis and it are unknown here).
   */
  get base(): { hash: Hash; height: number } {
    return { hash: this.mainHashes[this.baseHeight] as Hash, height: this.baseHeight };
  }

  get head(): { hash: Hash; height: number; cumulativeWork: number } {
    return {
      hash: this.headHash,
      height: this.headState.height,
      cumulativeWork: this.headState.cumulativeWork,
    };
  }

  get state(): ChainState {
    return this.headState;
  }

  has(hash: Hash): boolean {
    return this.entries.has(hash);
  }

  getBlock(hash: Hash): Block | undefined {
    return this.entries.get(hash)?.block;
  }

  /** Hash of the main-chain block at `height` (genesis is 0), or undefined above the head. */
  hashAtHeight(height: number): Hash | undefined {
    return Number.isSafeInteger(height) && height >= 0 ? this.mainHashes[height] : undefined;
  }

  /** The main-chain block at `height`: what a peer serving sync by height hands out. */
  blockAtHeight(height: number): Block | undefined {
    const hash = this.hashAtHeight(height);
    return hash === undefined ? undefined : this.entries.get(hash)?.block;
  }

  /** Main-chain blocks from genesis (or, in a restored tree, from its base) to head. */
  mainChain(): Block[] {
    const out: Block[] = [];
    for (
      let e = this.entries.get(this.headHash);
      e;
      e = e.parent ? this.entries.get(e.parent) : undefined
    ) {
      out.push(e.block);
    }
    return out.reverse();
  }

  /** Validates and records a block; never throws on bad input. */
  add(input: unknown, options: ApplyOptions = {}): AddResult {
    const parsed = parse(BlockSchema, input);
    if (!parsed.ok) {
      return { status: 'invalid', hash: null, error: { code: 'schema', message: parsed.error } };
    }
    const block = parsed.value;
    const hash = blockHash(block.header);
    // Whatever is held or remembered under this hash passed checkBlockBinding, so it is the one
    // genuine block with this hash: any copy gets the same answer, and the copy is not kept.
    if (this.entries.has(hash) || this.orphans.has(hash)) return { status: 'duplicate', hash };
    const known = this.invalid.get(hash);
    if (known) return { status: 'invalid', hash, error: known };
    // Anyone can relay a genuine header with a forged signature or a tampered body; that copy
    // shares the genuine block's hash. It is refused without being remembered and never waits
    // as an orphan, so the genuine block is still accepted when it comes.
    const unbound = checkBlockBinding(block, this.networkId);
    if (unbound) return { status: 'invalid', hash, error: unbound };
    const parentHash = block.header.prevHash;
    if (this.invalid.has(parentHash)) {
      return this.reject(hash, { code: 'prev-hash', message: 'parent is invalid' });
    }
    if (!this.entries.has(parentHash)) {
      // Only signed blocks may wait (checked above), so nobody fills the orphan pool for free.
      this.keepOrphan(hash, block);
      return { status: 'orphan', hash, missingParent: parentHash };
    }
    const result = this.connect(block, hash, options);
    // Orphans waiting on this block connect now, or are refused with it (iteratively).
    const queue = [hash];
    for (let parent = queue.shift(); parent; parent = queue.shift()) {
      const parentInvalid = this.invalid.has(parent);
      if (!parentInvalid && !this.entries.has(parent)) continue; // e.g. refused for now: wait
      for (const [childHash, child] of this.orphans) {
        if (child.header.prevHash !== parent) continue;
        this.orphans.delete(childHash);
        if (parentInvalid)
          this.reject(childHash, { code: 'prev-hash', message: 'parent is invalid' });
        else this.connect(child, childHash, options);
        queue.push(childHash);
      }
    }
    return result;
  }

  /** Refuses a bound block (checkBlockBinding passed) and remembers the verdict by its hash. */
  private reject(hash: Hash, error: BlockError): AddResult {
    this.invalid.set(hash, error);
    return { status: 'invalid', hash, error };
  }

  /** Keeps an out-of-order block until its parent arrives; the oldest is dropped when full. */
  private keepOrphan(hash: Hash, block: Block): void {
    this.orphans.set(hash, block);
    if (this.orphans.size > this.maxOrphans) {
      this.orphans.delete(this.orphans.keys().next().value as Hash);
    }
  }

  /** Connects a parsed, bound block (checkBlockBinding passed) whose parent is in the tree. */
  private connect(block: Block, hash: Hash, options: ApplyOptions): AddResult {
    const parentHash = block.header.prevHash;
    const parentState = this.stateAt(parentHash);
    const applied = applyBoundBlock(parentState, block, options);
    if (!applied.ok) {
      // Too far in the future is a verdict of the local clock, not of the block: it may be
      // valid a few seconds from now, so it is refused without being remembered as invalid.
      if (applied.error.code === 'timestamp-future') {
        return { status: 'invalid', hash, error: applied.error };
      }
      return this.reject(hash, applied.error);
    }
    const entry: Entry = {
      hash,
      block,
      height: applied.state.height,
      parent: parentHash,
      cumulativeWork: applied.state.cumulativeWork,
    };
    this.entries.set(hash, entry);
    this.remember(hash, applied.state);
    if (
      compareHeads(entry, { hash: this.headHash, cumulativeWork: this.headState.cumulativeWork }) >=
      0
    ) {
      return { status: 'side', hash };
    }
    const reorg = parentHash === this.headHash ? null : this.describeReorg(hash);
    this.headHash = hash;
    this.headState = applied.state;
    this.reindexMainChain(entry);
    return { status: 'head', hash, reorg, assessments: applied.assessments };
  }

  /**
   * Points the height index at the new head's line: walks back from the head until it meets a
   * block the index already holds at its height (the common ancestor), drops what lies above
   * it and writes the new line in. Extending the head costs one step; a reorg, its depth.
   */
  private reindexMainChain(head: Entry): void {
    const line: Entry[] = [];
    let e: Entry | undefined = head;
    while (e && this.mainHashes[e.height] !== e.hash) {
      line.push(e);
      e = e.parent ? this.entries.get(e.parent) : undefined;
    }
    this.mainHashes.length = e ? e.height + 1 : 0;
    // In a restored tree, a new line from below the base (only genesis is held there) fills
    // every height: the tree now knows its main chain from that block up.
    if (e && e.height < this.baseHeight) this.baseHeight = e.height;
    for (const item of line.reverse()) this.mainHashes.push(item.hash);
  }

  /**
   * States are kept for every snapshotInterval-th height (on any branch; a state belongs to its
   * block, not to the main chain) and for the few most recently connected blocks.
   */
  private remember(hash: Hash, state: ChainState): void {
    if (state.height % this.snapshotInterval === 0) this.snapshots.set(hash, state);
    this.recent.delete(hash);
    this.recent.set(hash, state);
    if (this.recent.size > RECENT_STATES)
      this.recent.delete(this.recent.keys().next().value as Hash);
  }

  /** State after `hash`: from the nearest kept state at or below it, replaying forward. */
  private stateAt(hash: Hash): ChainState {
    if (hash === this.headHash) return this.headState;
    const path: Block[] = [];
    let cursor: Hash = hash;
    const kept = (h: Hash) => this.recent.get(h) ?? this.snapshots.get(h);
    let state = kept(cursor);
    while (!state) {
      const entry = this.entries.get(cursor) as Entry;
      path.push(entry.block);
      cursor = entry.parent as Hash;
      state = kept(cursor);
    }
    for (const block of path.reverse()) {
      const applied = applyBoundBlock(state, block);
      if (!applied.ok) throw new Error(`stored block failed to replay: ${applied.error.message}`);
      state = applied.state;
    }
    return state;
  }

  private ancestors(hash: Hash): Hash[] {
    const out: Hash[] = [];
    for (let e = this.entries.get(hash); e; e = e.parent ? this.entries.get(e.parent) : undefined) {
      out.push(e.hash);
    }
    return out;
  }

  private describeReorg(newHead: Hash): Reorg {
    const newLine = new Set(this.ancestors(newHead));
    const abandoned: Hash[] = [];
    let common: Hash | null = null;
    for (const h of this.ancestors(this.headHash)) {
      if (newLine.has(h)) {
        common = h;
        break;
      }
      abandoned.push(h);
    }
    // Only a restored tree misses the new line: the fork is below its base (the new branch came
    // from genesis), so genesis is the deepest common block it knows.
    const commonAncestor = common ?? (this.mainHashes[0] as Hash);
    return { from: this.headHash, to: newHead, commonAncestor, abandoned };
  }
}
