/**
 * An in-memory block tree with fork choice. It validates every block against its parent's state,
 * keeps the heaviest valid head, and on a reorg rebuilds state by replaying blocks from the
 * common ancestor (or the nearest kept state below it). Blocks whose parent is unknown wait as orphans until it
 * arrives. Storage (IndexedDB) persists what this holds; the rules live here.
 */
import { type ApplyOptions, applyBlock, type BlockError } from './chain';
import { compareHeads, type HeadCandidate } from './forkChoice';
import { genesisBlock } from './genesis';
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

export class BlockTree {
  private readonly entries = new Map<Hash, Entry>();
  private readonly snapshots = new Map<Hash, ChainState>();
  private readonly recent = new Map<Hash, ChainState>();
  private readonly invalid = new Set<Hash>();
  private readonly orphans = new Map<Hash, Block[]>();
  private orphanCount = 0;
  private headHash: Hash;
  private headState: ChainState;
  private readonly snapshotInterval: number;
  private readonly maxOrphans: number;

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

  /** Main-chain blocks from genesis to head. */
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
    if (!parsed.ok)
      return { status: 'invalid', hash: null, error: { code: 'schema', message: parsed.error } };
    const block = parsed.value;
    const hash = blockHash(block.header);
    if (this.entries.has(hash)) return { status: 'duplicate', hash };
    if (this.invalid.has(hash)) {
      return { status: 'invalid', hash, error: { code: 'schema', message: 'known invalid block' } };
    }
    const parentHash = block.header.prevHash;
    if (this.invalid.has(parentHash)) {
      this.invalid.add(hash);
      return {
        status: 'invalid',
        hash,
        error: { code: 'prev-hash', message: 'parent is invalid' },
      };
    }
    if (!this.entries.has(parentHash)) {
      this.keepOrphan(parentHash, block);
      return { status: 'orphan', hash, missingParent: parentHash };
    }
    const result = this.connect(block, hash, options);
    // Orphans waiting on this block can connect now (iteratively, not recursively).
    const queue = result.status === 'invalid' ? [] : [hash];
    for (let parent = queue.shift(); parent; parent = queue.shift()) {
      const waiting = this.orphans.get(parent) ?? [];
      this.orphans.delete(parent);
      this.orphanCount -= waiting.length;
      for (const child of waiting) {
        const childHash = blockHash(child.header);
        if (this.entries.has(childHash)) continue;
        if (this.connect(child, childHash, options).status !== 'invalid') queue.push(childHash);
      }
    }
    return result;
  }

  private keepOrphan(parent: Hash, block: Block): void {
    if (this.orphanCount >= this.maxOrphans) return;
    const list = this.orphans.get(parent) ?? [];
    list.push(block);
    this.orphans.set(parent, list);
    this.orphanCount++;
  }

  private connect(block: Block, hash: Hash, options: ApplyOptions): AddResult {
    const parentHash = block.header.prevHash;
    const parentState = this.stateAt(parentHash);
    const applied = applyBlock(parentState, block, options);
    if (!applied.ok) {
      this.invalid.add(hash);
      return { status: 'invalid', hash, error: applied.error };
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
    return { status: 'head', hash, reorg, assessments: applied.assessments };
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
      const applied = applyBlock(state, block);
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
    let common = this.headHash;
    for (const h of this.ancestors(this.headHash)) {
      if (newLine.has(h)) {
        common = h;
        break;
      }
      abandoned.push(h);
    }
    return { from: this.headHash, to: newHead, commonAncestor: common, abandoned };
  }
}
