/**
 * Bounded insertion-ordered maps for what the validators remember. Every cache fed by the
 * network must be bounded, or a peer could grow our memory without limit; the oldest entry goes
 * first because gossip is about the recent past.
 */
import type { Hash } from '../../core/hash';
import type { Commit, Reveal } from '../../core/schemas';

export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error('capacity must be ≥ 1');
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Inserts or refreshes an entry (it becomes the newest), evicting the oldest when full. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}

/** A bounded set of ids. */
export class BoundedSet<K> {
  private readonly map: BoundedMap<K, true>;

  constructor(capacity: number) {
    this.map = new BoundedMap(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  add(key: K): void {
    this.map.set(key, true);
  }
}

/** What the validators remember between messages; owned by GossipValidator. */
export interface GossipCaches {
  /** Accepted commits by commit id: the commit topic's seen set, and what reveals and votes need. */
  readonly commits: BoundedMap<Hash, Commit>;
  /** Accepted reveals by commit id (a commit has exactly one valid reveal). */
  readonly reveals: BoundedMap<Hash, Reveal>;
  /** Accepted vote ids (see voteGossipId). */
  readonly votes: BoundedSet<string>;
  /** Accepted block hashes (connected blocks are also known to the chain itself). */
  readonly blocks: BoundedSet<Hash>;
  /** Accepted transfer ids (see transferGossipId). */
  readonly transfers: BoundedSet<string>;
}

export interface GossipCacheSizes {
  readonly commits: number;
  readonly reveals: number;
  readonly votes: number;
  readonly blocks: number;
  readonly transfers: number;
}

export function createCaches(sizes: GossipCacheSizes): GossipCaches {
  return {
    commits: new BoundedMap(sizes.commits),
    reveals: new BoundedMap(sizes.reveals),
    votes: new BoundedSet(sizes.votes),
    blocks: new BoundedSet(sizes.blocks),
    transfers: new BoundedSet(sizes.transfers),
  };
}
