/**
 * Size and rate limits of the request/response stream protocols (/doin/sync/1.0.0 and
 * /doin/blob/1.0.0). One place, so a server's caps and a client's expectations agree.
 */
import { LIMITS } from '../core/schemas';

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * Largest parameter blob: 64 MiB (16M float32s) as a transport cap, but never more than the
 * largest parameter vector a domain may declare (LIMITS.maxParamCount float32s).
 */
const maxBlobBytes = Math.min(64 * MiB, LIMITS.maxParamCount * 4);

export const NET_LIMITS = {
  /**
   * Largest request frame. The biggest legitimate request is blocksByHash with 64 hashes
   * (~4.3 KiB of CBOR); anything much larger is garbage or an attack.
   */
  requestMaxBytes: 8 * KiB,
  /**
   * Bytes a server buffers while reading a request: above requestMaxBytes so a slightly oversize
   * request still gets a clear 'too-large' answer, small so a flood is cut off (stream aborted).
   */
  requestBufferBytes: 64 * KiB,
  /** Blocks in one range response: enough to amortise a round trip, small enough to validate as they come. */
  maxBlocksPerRequest: 64,
  /** Hashes in one blocksByHash request: same bound as a range, fetching a few missing parents. */
  maxHashesPerRequest: 64,
  /** Headers in one response (~0.5 KiB each): a whole fork-search window in one round trip. */
  maxHeadersPerRequest: 256,
  /**
   * Bytes of blocks a server packs into one response; it stops before exceeding this, but
   * always sends at least one block so a large block can still be fetched.
   */
  syncResponseBudgetBytes: 4 * MiB,
  /**
   * Largest sync response frame a client accepts: the budget plus a worst-case block at the
   * core's size limits (64 optimae × 16 votes, 257 transactions, ~1 MiB) plus framing.
   */
  syncResponseMaxBytes: 6 * MiB,
  /** See maxBlobBytes above: 40,000,000 bytes with the core's 10M-parameter cap. */
  maxBlobBytes,
  /** Blob response frame: the blob plus the CBOR map and byte-string headers. */
  blobResponseMaxBytes: maxBlobBytes + KiB,
  /**
   * Time for one sync request/response: a 4 MiB response over a slow (~1 MB/s) relayed link
   * takes ~4 s; a peer slower than this is better dropped for another.
   */
  syncTimeoutMs: 10_000,
  /** Time for one blob: tens of MB over a relayed WebRTC link can take tens of seconds. */
  blobTimeoutMs: 60_000,
  /** Window over which per-peer request counts are kept. */
  rateWindowMs: 10_000,
  /**
   * Sync requests per peer per window: a catching-up peer needs ~1 request per 64 blocks plus a
   * few header probes, so 100 per 10 s is ~600 blocks/s from one server; more is abuse.
   */
  syncRequestsPerWindow: 100,
  /**
   * Blob requests per peer per window: a peer needs one blob per domain best plus one per
   * optimae it evaluates (a few per block time). Blobs are MBs, so this is the tighter cap.
   */
  blobRequestsPerWindow: 16,
  /** Peers tracked by one rate limiter before expired entries are swept (memory bound). */
  rateLimiterMaxPeers: 4_096,
} as const;
