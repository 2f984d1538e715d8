/**
 * /doin/blob/1.0.0: model parameters by content address. The request names a paramsHash; the
 * answer is the float32 parameters as little-endian bytes (one CBOR byte string), or
 * 'not-found'. Blobs are addressed by their hash, so the client trusts nothing: it recomputes
 * paramsHash on arrival and refuses a blob that does not match (and the server never sends one).
 */
import type { Stream } from '@libp2p/interface';
import * as v from 'valibot';
import { type Hash, paramsHash } from '../core/hash';
import { HashSchema } from '../core/schemas';
import { NET_LIMITS } from './limits';
import { PeerRateLimiter } from './rateLimit';
import {
  createRpcServer,
  failure,
  type OpenStream,
  type RpcHandler,
  type RpcResult,
  rpcCall,
  rpcError,
} from './rpc';

export const BLOB_PROTOCOL = '/doin/blob/1.0.0';

export const BlobRequestSchema = v.strictObject({ hash: HashSchema });

const blobBytes = (maxBytes: number) =>
  v.pipe(
    v.instance(Uint8Array),
    v.check(
      (b: Uint8Array<ArrayBuffer>) => b.length % 4 === 0,
      'blob length is not a whole number of float32s',
    ),
    v.check((b: Uint8Array<ArrayBuffer>) => b.length <= maxBytes, `blob exceeds ${maxBytes} bytes`),
  );

export const BlobResponseSchema = v.strictObject({
  type: v.literal('blob'),
  bytes: blobBytes(NET_LIMITS.maxBlobBytes),
});

/** Where a blob server finds parameters (IndexedDB, a memory map, a worker...). */
export interface BlobSource {
  get(hash: Hash): Float32Array | undefined | Promise<Float32Array | undefined>;
}

export interface BlobServerOptions {
  readonly requestsPerWindow?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
  readonly rateLimiter?: PeerRateLimiter;
  readonly timeoutMs?: number;
  /**
   * Re-hash each blob before serving it (default true), so a corrupt local copy is never sent
   * and blamed on us. Costs a sha256 of the blob (~tens of ms per 10 MB); turn it off when the
   * source already guarantees content addressing.
   */
  readonly verify?: boolean;
}

/** A stream handler for BLOB_PROTOCOL: `(stream, remotePeerId) => Promise<void>`, never rejects. */
export function createBlobServer(source: BlobSource, options: BlobServerOptions = {}): RpcHandler {
  const rateLimiter =
    options.rateLimiter ??
    new PeerRateLimiter({
      limit: options.requestsPerWindow ?? NET_LIMITS.blobRequestsPerWindow,
      windowMs: options.windowMs ?? NET_LIMITS.rateWindowMs,
      maxPeers: NET_LIMITS.rateLimiterMaxPeers,
      ...(options.now ? { now: options.now } : {}),
    });
  return createRpcServer({
    requestSchema: BlobRequestSchema,
    maxResponseBytes: NET_LIMITS.blobResponseMaxBytes,
    timeoutMs: options.timeoutMs ?? NET_LIMITS.blobTimeoutMs,
    rateLimiter,
    handle: async ({ hash }) => {
      const params = await source.get(hash);
      // A corrupt or mislabelled local copy is not served: the requester would penalize us.
      if (!params || ((options.verify ?? true) && paramsHash(params) !== hash)) {
        return rpcError('not-found', `no blob ${hash}`);
      }
      if (params.byteLength > NET_LIMITS.maxBlobBytes) {
        return rpcError('too-large', `blob of ${params.byteLength} bytes exceeds the limit`);
      }
      return { type: 'blob', bytes: float32ToLittleEndian(params) };
    },
  });
}

export interface FetchBlobOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Refuse blobs above this (bytes); default and upper bound NET_LIMITS.maxBlobBytes. */
  readonly maxBytes?: number;
  /** When the domain's parameter count is known: refuse a blob of any other length. */
  readonly paramCount?: number;
}

/**
 * Fetches the parameters with this paramsHash. Failure codes: the server's ('not-found',
 * 'rate-limited', ...), rpc's local ones, and 'hash-mismatch' when the bytes are not the blob
 * asked for (the peer should be penalized).
 */
export async function fetchBlob(
  openStream: OpenStream | Stream,
  hash: Hash,
  options: FetchBlobOptions = {},
): Promise<RpcResult<Float32Array>> {
  const maxBytes = Math.min(options.maxBytes ?? NET_LIMITS.maxBlobBytes, NET_LIMITS.maxBlobBytes);
  const result = await rpcCall(
    openStream,
    { hash },
    {
      responseSchema: v.strictObject({ type: v.literal('blob'), bytes: blobBytes(maxBytes) }),
      maxResponseBytes: maxBytes + 1024,
      timeoutMs: options.timeoutMs ?? NET_LIMITS.blobTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  if (!result.ok) return result;
  const { bytes } = result.value;
  if (options.paramCount !== undefined && bytes.length !== options.paramCount * 4) {
    return failure(
      'bad-response',
      `blob has ${bytes.length / 4} parameters, expected ${options.paramCount}`,
    );
  }
  const params = littleEndianToFloat32(bytes);
  const actual = paramsHash(params);
  if (actual !== hash) {
    return failure('hash-mismatch', `blob hashes to ${actual}, not the requested ${hash}`);
  }
  return { ok: true, value: params };
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The wire form of parameters: float32 little-endian, as paramsHash hashes them. */
export function float32ToLittleEndian(params: Float32Array): Uint8Array {
  if (littleEndianHost) return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  const out = new Uint8Array(params.byteLength);
  const view = new DataView(out.buffer);
  for (const [i, value] of params.entries()) view.setFloat32(i * 4, value, true);
  return out;
}

/** Parameters from wire bytes (copied: the result owns an aligned buffer of its own). */
export function littleEndianToFloat32(bytes: Uint8Array): Float32Array {
  if (littleEndianHost) return new Float32Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
