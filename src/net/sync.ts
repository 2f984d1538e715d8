/**
 * /doin/sync/1.0.0: chain sync by request/response (one request per stream, see rpc.ts).
 *
 * Requests carry the requester's network id; a server on another network answers
 * 'wrong-network', so chains never mix. `status` gives the head; `headers` and `blocks` serve the
 * main chain by height range (capped in count and bytes); `blocksByHash` serves any known block
 * (e.g. the missing parent of a gossiped orphan). Clients check every response against the core
 * schemas and for consistency (heights, hashes, links) before anything touches the tree, and
 * the tree re-validates every block in full.
 *
 * syncFromPeer: status; if the peer's chain is heavier, find the common ancestor (header
 * windows walking back with growing gaps, then bisection), then fetch blocks forward and add
 * them, stopping at the first invalid one so the caller can penalize the peer.
 */
import * as v from 'valibot';
import type { BlockTree } from '../core/blockTree';
import type { BlockError } from '../core/chain';
import { encodeCanonical } from '../core/encoding';
import type { Hash } from '../core/hash';
import { blockHash } from '../core/objects';
import {
  type Block,
  type BlockHeader,
  BlockHeaderSchema,
  BlockSchema,
  HashSchema,
  PositiveIntSchema,
  UintSchema,
} from '../core/schemas';
import { NET_LIMITS } from './limits';
import { PeerRateLimiter } from './rateLimit';
import {
  createRpcServer,
  failure,
  type OpenStream,
  type RpcFailure,
  type RpcHandler,
  type RpcResult,
  rpcCall,
  rpcError,
} from './rpc';

export const SYNC_PROTOCOL = '/doin/sync/1.0.0';

// ---- wire messages ------------------------------------------------------------------------

export const SyncRequestSchema = v.variant('type', [
  v.strictObject({ type: v.literal('status'), networkId: HashSchema }),
  // count may be anything positive: servers cap it rather than refuse (the reply says how many).
  v.strictObject({
    type: v.literal('headers'),
    networkId: HashSchema,
    from: UintSchema,
    count: PositiveIntSchema,
  }),
  v.strictObject({
    type: v.literal('blocks'),
    networkId: HashSchema,
    from: UintSchema,
    count: PositiveIntSchema,
  }),
  v.strictObject({
    type: v.literal('blocksByHash'),
    networkId: HashSchema,
    hashes: v.pipe(
      v.array(HashSchema),
      v.minLength(1),
      v.maxLength(NET_LIMITS.maxHashesPerRequest),
    ),
  }),
]);
export type SyncRequest = v.InferOutput<typeof SyncRequestSchema>;

export const SyncStatusSchema = v.strictObject({
  type: v.literal('status'),
  networkId: HashSchema,
  height: UintSchema,
  hash: HashSchema,
  cumulativeWork: UintSchema,
});
export type SyncStatus = v.InferOutput<typeof SyncStatusSchema>;

export const HeadersResponseSchema = v.strictObject({
  type: v.literal('headers'),
  headers: v.pipe(
    v.array(v.strictObject({ hash: HashSchema, header: BlockHeaderSchema })),
    v.maxLength(NET_LIMITS.maxHeadersPerRequest),
  ),
});
export type HeaderWithHash = { readonly hash: Hash; readonly header: BlockHeader };

export const BlocksResponseSchema = v.strictObject({
  type: v.literal('blocks'),
  blocks: v.pipe(
    v.array(BlockSchema),
    v.maxLength(Math.max(NET_LIMITS.maxBlocksPerRequest, NET_LIMITS.maxHashesPerRequest)),
  ),
});

// ---- server -------------------------------------------------------------------------------

/** What a sync server reads: a chain, its head and blocks (BlockTree via chainSourceFromTree). */
export interface ChainSource {
  readonly networkId: string;
  head(): { height: number; hash: string; cumulativeWork: number };
  /** Main chain only. */
  blockAtHeight(height: number): Block | undefined;
  /** Any known block, main chain or not. */
  blockByHash(hash: string): Block | undefined;
}

export function chainSourceFromTree(tree: BlockTree): ChainSource {
  return {
    networkId: tree.state.networkId,
    head: () => tree.head,
    blockAtHeight: (height) => tree.blockAtHeight(height),
    blockByHash: (hash) => tree.getBlock(hash),
  };
}

export interface SyncServerOptions {
  /** Requests per peer per window; default NET_LIMITS.syncRequestsPerWindow. */
  readonly requestsPerWindow?: number;
  readonly windowMs?: number;
  /** Clock for the rate limiter (tests step it). */
  readonly now?: () => number;
  /** Share one limiter between servers, or pass your own; overrides the two options above. */
  readonly rateLimiter?: PeerRateLimiter;
  /** Bytes of blocks per response; at least one block is always sent. */
  readonly responseBudgetBytes?: number;
  readonly timeoutMs?: number;
}

/** A stream handler for SYNC_PROTOCOL: `(stream, remotePeerId) => Promise<void>`, never rejects. */
export function createSyncServer(source: ChainSource, options: SyncServerOptions = {}): RpcHandler {
  const budget = options.responseBudgetBytes ?? NET_LIMITS.syncResponseBudgetBytes;
  const rateLimiter =
    options.rateLimiter ??
    new PeerRateLimiter({
      limit: options.requestsPerWindow ?? NET_LIMITS.syncRequestsPerWindow,
      windowMs: options.windowMs ?? NET_LIMITS.rateWindowMs,
      maxPeers: NET_LIMITS.rateLimiterMaxPeers,
      ...(options.now ? { now: options.now } : {}),
    });
  return createRpcServer({
    requestSchema: SyncRequestSchema,
    maxResponseBytes: NET_LIMITS.syncResponseMaxBytes,
    timeoutMs: options.timeoutMs ?? NET_LIMITS.syncTimeoutMs,
    rateLimiter,
    handle: (request) => {
      if (request.networkId !== source.networkId) {
        return rpcError('wrong-network', `this peer serves network ${source.networkId}`);
      }
      switch (request.type) {
        case 'status':
          return { type: 'status', networkId: source.networkId, ...pickHead(source.head()) };
        case 'headers': {
          const headers: HeaderWithHash[] = [];
          const count = Math.min(request.count, NET_LIMITS.maxHeadersPerRequest);
          for (let h = request.from; h < request.from + count; h++) {
            const block = source.blockAtHeight(h);
            if (!block) break;
            headers.push({ hash: blockHash(block.header), header: block.header });
          }
          return { type: 'headers', headers };
        }
        case 'blocks': {
          const count = Math.min(request.count, NET_LIMITS.maxBlocksPerRequest);
          const blocks: Block[] = [];
          for (let h = request.from; h < request.from + count; h++) {
            const block = source.blockAtHeight(h);
            if (!block) break;
            blocks.push(block);
          }
          return { type: 'blocks', blocks: withinBudget(blocks, budget) };
        }
        case 'blocksByHash': {
          const blocks: Block[] = [];
          for (const hash of new Set(request.hashes)) {
            const block = source.blockByHash(hash);
            if (block) blocks.push(block);
          }
          return { type: 'blocks', blocks: withinBudget(blocks, budget) };
        }
      }
    },
  });
}

/** Only the fields of the wire message: a source may hand out a richer head object. */
const pickHead = (head: ReturnType<ChainSource['head']>) => ({
  height: head.height,
  hash: head.hash,
  cumulativeWork: head.cumulativeWork,
});

/** The longest prefix whose encoding fits in `budget` bytes, but at least one block. */
function withinBudget(blocks: readonly Block[], budget: number): Block[] {
  const out: Block[] = [];
  let used = 0;
  for (const block of blocks) {
    const size = encodeCanonical(block).length;
    if (out.length > 0 && used + size > budget) break;
    out.push(block);
    used += size;
  }
  return out;
}

// ---- client requests ----------------------------------------------------------------------

export interface SyncRequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

const callOptions = <T>(schema: v.GenericSchema<unknown, T>, options: SyncRequestOptions) => ({
  responseSchema: schema,
  maxResponseBytes: NET_LIMITS.syncResponseMaxBytes,
  timeoutMs: options.timeoutMs ?? NET_LIMITS.syncTimeoutMs,
  ...(options.signal ? { signal: options.signal } : {}),
});

export async function fetchStatus(
  open: OpenStream,
  networkId: Hash,
  options: SyncRequestOptions = {},
): Promise<RpcResult<SyncStatus>> {
  const result = await rpcCall(
    open,
    { type: 'status', networkId },
    callOptions(SyncStatusSchema, options),
  );
  if (result.ok && result.value.networkId !== networkId) {
    return failure('wrong-network', `peer is on network ${result.value.networkId}`);
  }
  return result;
}

/**
 * Main-chain headers [from, from + count), possibly fewer (the peer's chain ends, or its cap).
 * Checked: consecutive heights from `from`, each hash is the header's, each links to the last.
 */
export async function fetchHeaders(
  open: OpenStream,
  networkId: Hash,
  from: number,
  count: number,
  options: SyncRequestOptions = {},
): Promise<RpcResult<HeaderWithHash[]>> {
  const result = await rpcCall(
    open,
    { type: 'headers', networkId, from, count },
    callOptions(HeadersResponseSchema, options),
  );
  if (!result.ok) return result;
  const headers = result.value.headers;
  if (headers.length > count) return failure('bad-response', 'more headers than requested');
  for (const [i, { hash, header }] of headers.entries()) {
    if (header.height !== from + i)
      return failure('bad-response', `header ${i} is not at height ${from + i}`);
    if (blockHash(header) !== hash) return failure('bad-response', `header ${i} hash mismatch`);
    if (i > 0 && header.prevHash !== headers[i - 1]?.hash) {
      return failure('bad-response', `header ${i} does not link to the previous one`);
    }
  }
  return { ok: true, value: headers };
}

/** Main-chain blocks [from, from + count), possibly fewer; checked for heights and links. */
export async function fetchBlocks(
  open: OpenStream,
  networkId: Hash,
  from: number,
  count: number,
  options: SyncRequestOptions = {},
): Promise<RpcResult<Block[]>> {
  const result = await rpcCall(
    open,
    { type: 'blocks', networkId, from, count },
    callOptions(BlocksResponseSchema, options),
  );
  if (!result.ok) return result;
  const blocks = result.value.blocks;
  if (blocks.length > count) return failure('bad-response', 'more blocks than requested');
  let previous: Hash | null = null;
  for (const [i, block] of blocks.entries()) {
    if (block.header.height !== from + i) {
      return failure('bad-response', `block ${i} is not at height ${from + i}`);
    }
    if (previous !== null && block.header.prevHash !== previous) {
      return failure('bad-response', `block ${i} does not link to the previous one`);
    }
    previous = blockHash(block.header);
  }
  return { ok: true, value: blocks };
}

/** Known blocks among `hashes` (any branch); a block nobody asked for is a bad response. */
export async function fetchBlocksByHash(
  open: OpenStream,
  networkId: Hash,
  hashes: readonly Hash[],
  options: SyncRequestOptions = {},
): Promise<RpcResult<Block[]>> {
  const result = await rpcCall(
    open,
    { type: 'blocksByHash', networkId, hashes: [...hashes] },
    callOptions(BlocksResponseSchema, options),
  );
  if (!result.ok) return result;
  const wanted = new Set(hashes);
  for (const block of result.value.blocks) {
    if (!wanted.delete(blockHash(block.header))) {
      return failure('bad-response', 'a block that was not requested (or twice)');
    }
  }
  return { ok: true, value: result.value.blocks };
}

// ---- syncFromPeer -------------------------------------------------------------------------

export type SyncErrorCode =
  /** The peer is on another network (not misbehaviour; don't sync with it). */
  | 'wrong-network'
  /** A request failed: timeout, transport, or the peer answered an error (e.g. rate-limited). */
  | 'request-failed'
  /** The peer sent a malformed or inconsistent response. */
  | 'bad-response'
  /** The peer served a block the rules refuse. */
  | 'invalid-block'
  /** The peer's chain shares no block with ours, not even genesis. */
  | 'no-common-ancestor'
  /** The peer's chain changed or ended before its advertised head (may be honest: it reorged). */
  | 'incomplete'
  /** The caller's signal aborted the sync. */
  | 'aborted';

export interface SyncError {
  readonly code: SyncErrorCode;
  readonly message: string;
  /** True when the peer demonstrably misbehaved: the caller should penalize or drop it. */
  readonly penalize: boolean;
  readonly rpc?: RpcFailure;
  readonly block?: {
    readonly hash: Hash | null;
    readonly height: number;
    readonly error: BlockError;
  };
}

export interface SyncReport {
  /** 'up-to-date': the peer is not heavier, nothing was asked beyond status. */
  readonly outcome: 'up-to-date' | 'synced' | 'failed';
  /** Blocks newly connected to the tree (main chain or side). */
  readonly added: number;
  readonly head: { height: number; hash: Hash; cumulativeWork: number };
  /** The peer's status, when it answered. */
  readonly peer?: SyncStatus;
  /** Why the sync failed, as one line ("code: message"); absent on success. */
  readonly error?: string;
  /** The same failure, structured: its code and whether to penalize the peer. */
  readonly failure?: SyncError;
}

export interface SyncProgress {
  readonly added: number;
  readonly height: number;
  readonly target: number;
}

export interface SyncOptions {
  /** Local clock for the future-timestamp check (BlockTree.add's `now`); default Date.now. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Per-request time limit. */
  readonly timeoutMs?: number;
  /**
   * Runs on each fetched range before its blocks are validated, e.g. to check their signatures
   * natively in one batch (see preverify.ts). It may only speed validation up, never decide it.
   */
  readonly beforeApply?: (blocks: readonly Block[]) => Promise<void>;
}

/** Longest stretch of block validation between two yields to the event loop. */
const YIELD_EVERY_MS = 30;
/** …and at least every this many blocks, whatever the clock says. */
export const YIELD_EVERY_BLOCKS = 16;

class SyncStop extends Error {
  constructor(readonly error: SyncError) {
    super(error.message);
  }
}

/**
 * Brings `tree` up to the peer's chain if that chain is heavier. Never throws; the report says
 * how far it got and, on failure, whether the peer should be penalized.
 */
export async function syncFromPeer(
  openStream: OpenStream,
  tree: BlockTree,
  options: SyncOptions = {},
): Promise<SyncReport> {
  const networkId = tree.state.networkId;
  const now = options.now ?? Date.now;
  const request: SyncRequestOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  let added = 0;
  let peer: SyncStatus | undefined;
  const report = (outcome: SyncReport['outcome'], error?: SyncError): SyncReport => ({
    outcome,
    added,
    head: tree.head,
    ...(peer ? { peer } : {}),
    ...(error ? { error: `${error.code}: ${error.message}`, failure: error } : {}),
  });
  const need = <T>(result: RpcResult<T>): T => {
    if (result.ok) return result.value;
    throw new SyncStop(rpcToSyncError(result.error, options.signal));
  };

  // Validating a block takes milliseconds (signatures): hand the event loop back now and then
  // so a page syncing a long chain stays responsive (DESIGN: no main-thread task over 50 ms).
  let lastYield = performance.now();
  let sinceYield = 0;
  const breathe = async () => {
    sinceYield++;
    if (performance.now() - lastYield < YIELD_EVERY_MS && sinceYield < YIELD_EVERY_BLOCKS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
    sinceYield = 0;
  };

  try {
    peer = need(await fetchStatus(openStream, networkId, request));
    if (peer.cumulativeWork <= tree.head.cumulativeWork) return report('up-to-date');
    const target = peer;

    const ancestor = await findCommonAncestor(
      Math.min(tree.head.height, target.height),
      (from, count) => fetchHeaders(openStream, networkId, from, count, request).then(need),
      (hash) => tree.has(hash),
    );

    // The next range is fetched (and pre-checked by beforeApply) while this one is validated:
    // network, native signature checks and validation overlap instead of taking turns.
    const fetchRange = async (from: number): Promise<RpcResult<Block[]>> => {
      const count = Math.min(NET_LIMITS.maxBlocksPerRequest, target.height - from + 1);
      const result = await fetchBlocks(openStream, networkId, from, count, request);
      if (result.ok) await options.beforeApply?.(result.value).catch(() => {});
      return result;
    };
    let pending = fetchRange(ancestor + 1);
    for (let next = ancestor + 1; next <= target.height; ) {
      if (options.signal?.aborted) throw new SyncStop(abortError());
      const blocks = need(await pending);
      const first = blocks[0];
      if (!first) {
        throw new SyncStop(incomplete(`peer has no block at height ${next} below its head`));
      }
      // The first block must extend what we have: otherwise the peer's chain moved under us.
      if (!tree.has(first.header.prevHash)) {
        throw new SyncStop(incomplete(`block at height ${next} does not extend the common chain`));
      }
      const after = next + blocks.length;
      if (after <= target.height) pending = fetchRange(after);
      for (const block of blocks) {
        await breathe();
        const result = tree.add(block, { now: now() });
        if (result.status === 'head' || result.status === 'side') added++;
        else if (result.status === 'invalid') {
          throw new SyncStop({
            code: 'invalid-block',
            message: `block ${block.header.height} refused: ${result.error.code}: ${result.error.message}`,
            // Too far in the future is our clock's verdict, not proof against the peer.
            penalize: result.error.code !== 'timestamp-future',
            block: { hash: result.hash, height: block.header.height, error: result.error },
          });
        } else if (result.status === 'orphan') {
          throw new SyncStop({
            code: 'bad-response',
            message: 'served blocks do not link',
            penalize: true,
          });
        }
      }
      next = after;
      options.onProgress?.({ added, height: tree.head.height, target: target.height });
    }
    if (!tree.has(target.hash)) {
      return report('failed', incomplete("the peer's chain did not end at its advertised head"));
    }
    return report('synced');
  } catch (err) {
    if (err instanceof SyncStop) return report('failed', err.error);
    return report('failed', {
      code: 'request-failed',
      message: `sync failed: ${(err as Error)?.message ?? String(err)}`,
      penalize: false,
    });
  }
}

/**
 * The highest height of the peer's main chain whose block we have (genesis at worst). Having a
 * block means having all its ancestors, so "known" is true up to the ancestor and false above:
 * windows of headers walk back from `top` with doubling gaps until one holds a known block,
 * then the gap above it is bisected. A fork of depth d costs O(log d) requests.
 */
export async function findCommonAncestor(
  top: number,
  headers: (from: number, count: number) => Promise<HeaderWithHash[]>,
  known: (hash: Hash) => boolean,
): Promise<number> {
  const window = NET_LIMITS.maxHeadersPerRequest;
  /** Highest known height in [from, to], or -1; the peer must return the whole range. */
  const probe = async (from: number, to: number): Promise<number> => {
    const got = await headers(from, to - from + 1);
    if (got.length !== to - from + 1) {
      throw new SyncStop(incomplete(`peer returned ${got.length} of ${to - from + 1} headers`));
    }
    for (let i = got.length - 1; i >= 0; i--)
      if (known((got[i] as HeaderWithHash).hash)) return from + i;
    return -1;
  };

  let unknownAbove = top + 1; // lowest height proven unknown (top + 1: nothing above matters)
  let windowTop = top;
  let gap = 0;
  let lo: number;
  for (;;) {
    const from = Math.max(0, windowTop - window + 1);
    const found = await probe(from, windowTop);
    if (found >= 0 && found < windowTop) return found; // the next height up is unknown
    if (found === windowTop) {
      lo = found;
      break;
    }
    if (from === 0) {
      throw new SyncStop({
        code: 'no-common-ancestor',
        message: 'the peer shares no block with us, not even genesis',
        penalize: true,
      });
    }
    unknownAbove = from;
    windowTop = Math.max(0, from - 1 - gap);
    gap = gap === 0 ? window : gap * 2;
  }
  // known(lo), unknown(unknownAbove): bisect, finishing with one window when the gap fits.
  let hi = unknownAbove;
  while (hi - lo > 1) {
    if (hi - lo - 1 <= window) {
      const found = await probe(lo + 1, hi - 1);
      return found >= 0 ? found : lo;
    }
    const mid = Math.floor((lo + hi) / 2);
    if ((await probe(mid, mid)) === mid) lo = mid;
    else hi = mid;
  }
  return lo;
}

function rpcToSyncError(error: RpcFailure, signal: AbortSignal | undefined): SyncError {
  if (signal?.aborted || error.code === 'aborted') return abortError();
  if (error.code === 'wrong-network') {
    return { code: 'wrong-network', message: error.message, penalize: false, rpc: error };
  }
  if (error.code === 'bad-response') {
    return { code: 'bad-response', message: error.message, penalize: true, rpc: error };
  }
  const from = error.remote ? `peer answered ${error.code}` : error.code;
  return {
    code: 'request-failed',
    message: `${from}: ${error.message}`,
    penalize: false,
    rpc: error,
  };
}

const abortError = (): SyncError => ({ code: 'aborted', message: 'sync aborted', penalize: false });
const incomplete = (message: string): SyncError => ({
  code: 'incomplete',
  message,
  penalize: false,
});
