/**
 * Per-peer request counting over fixed windows. Not libp2p's RateLimiter: that one keeps a
 * timer per key and reads the wall clock, while this one takes an injectable clock (tests step
 * it) and has a hard bound on how many peers it remembers.
 */

export interface PeerRateLimiterOptions {
  /** Requests a peer may make per window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Peers remembered at most; expired windows are swept, then the oldest dropped. */
  readonly maxPeers?: number;
  readonly now?: () => number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export class PeerRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxPeers: number;
  private readonly now: () => number;

  constructor(options: PeerRateLimiterOptions) {
    if (!(options.limit >= 0) || !(options.windowMs > 0)) {
      throw new Error('rate limit needs limit ≥ 0 and windowMs > 0');
    }
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.maxPeers = options.maxPeers ?? 4_096;
    this.now = options.now ?? Date.now;
  }

  /** Counts one request by `peer`; refuses it once the peer has used up its window. */
  take(peer: string): RateDecision {
    const now = this.now();
    let window = this.windows.get(peer);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.delete(peer); // re-insert: the map stays ordered oldest window first
      this.windows.set(peer, window);
      this.bound(now);
    }
    if (window.count >= this.limit) {
      return { ok: false, retryAfterMs: window.start + this.windowMs - now };
    }
    window.count++;
    return { ok: true };
  }

  get size(): number {
    return this.windows.size;
  }

  private bound(now: number): void {
    if (this.windows.size <= this.maxPeers) return;
    for (const [peer, w] of this.windows) {
      if (now - w.start >= this.windowMs) this.windows.delete(peer);
    }
    // Still full of live windows (many peers at once): forget the oldest ones.
    for (const peer of this.windows.keys()) {
      if (this.windows.size <= this.maxPeers) break;
      this.windows.delete(peer);
    }
  }
}
