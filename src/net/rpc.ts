/**
 * One-shot request/response over a libp2p stream: the client writes one length-prefixed
 * deterministic-CBOR request frame and half-closes; the server reads it, validates it, answers
 * one frame and closes. Both sides cap frame sizes and time, validate with valibot, and never
 * throw on bad input: the server answers `{ type: 'error', code, message }`, the client returns
 * `{ ok: false, error }`. Nothing here knows about a libp2p node, so tests run it over
 * in-memory stream pairs.
 */
import type { Stream } from '@libp2p/interface';
import {
  InvalidDataLengthError,
  InvalidDataLengthLengthError,
  InvalidMessageLengthError,
  lpStream,
} from '@libp2p/utils';
import * as v from 'valibot';
import { decodeCanonical, encodeCanonical } from '../core/encoding';
import { parse } from '../core/schemas';
import { NET_LIMITS } from './limits';
import type { PeerRateLimiter } from './rateLimit';

/** Codes a server puts in an error frame. */
export type RpcErrorCode =
  | 'bad-request'
  | 'too-large'
  | 'rate-limited'
  | 'not-found'
  | 'wrong-network'
  | 'internal';

/** Codes a client reaches on its own, without (or despite) an answer. */
export type RpcLocalErrorCode =
  /** The response was malformed, too large, non-canonical or failed its schema/consistency check. */
  | 'bad-response'
  /** No complete response within the time limit. */
  | 'timeout'
  /** The caller's signal aborted the call. */
  | 'aborted'
  /** The stream could not be opened, or closed or broke before a response arrived. */
  | 'transport'
  /** The request could not be encoded or is over the size limit (a local bug). */
  | 'bad-request';

export interface RpcFailure {
  /** An RpcErrorCode when `remote`; an RpcLocalErrorCode (or a protocol's own) otherwise. */
  readonly code: string;
  readonly message: string;
  /** True when the server answered with an error frame. */
  readonly remote: boolean;
}

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcFailure };

export const RpcErrorFrameSchema = v.strictObject({
  type: v.literal('error'),
  // Any short code, not a picklist: a newer peer's new code must still read as an error.
  code: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,31}$/)),
  message: v.pipe(v.string(), v.maxLength(512)),
});
export type RpcErrorFrame = v.InferOutput<typeof RpcErrorFrameSchema>;

export function rpcError(code: RpcErrorCode, message: string): RpcErrorFrame {
  return { type: 'error', code, message: message.slice(0, 512) };
}

export const failure = (code: string, message: string, remote = false): RpcResult<never> => ({
  ok: false,
  error: { code, message, remote },
});

/** A libp2p stream handler with the remote peer id already extracted (see netNode protocols). */
export type RpcHandler = (stream: Stream, remotePeerId: string) => Promise<void>;

/**
 * Opens a fresh stream to the peer for one request (e.g. `libp2p.dialProtocol`). The signal
 * is the call's deadline; an opener may ignore it (the call stops waiting for it anyway).
 */
export type OpenStream = (signal?: AbortSignal) => Promise<Stream>;

export interface RpcServerOptions<Req> {
  readonly requestSchema: v.GenericSchema<unknown, Req>;
  /**
   * Answers a valid request with a response value, or an error frame (see rpcError). A throw
   * becomes an 'internal' error frame; its message is not sent (it may hold local details).
   */
  readonly handle: (request: Req, remotePeerId: string) => unknown;
  readonly maxRequestBytes?: number;
  /** A response above this is a server bug: 'internal' is sent instead of a frame the client refuses. */
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
  /** Counts every stream, valid or not, against the remote peer. */
  readonly rateLimiter?: PeerRateLimiter;
}

export function createRpcServer<Req>(options: RpcServerOptions<Req>): RpcHandler {
  const maxRequestBytes = options.maxRequestBytes ?? NET_LIMITS.requestMaxBytes;
  return async (stream, remotePeerId) => {
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const lp = lpStream(stream, {
        maxDataLength: maxRequestBytes,
        maxBufferSize: Math.max(NET_LIMITS.requestBufferBytes, maxRequestBytes + 16),
      });
      let reply: unknown;
      const limited = options.rateLimiter?.take(remotePeerId);
      if (limited && !limited.ok) {
        // Answered without reading: a flooding peer costs us one small frame.
        reply = rpcError('rate-limited', `too many requests; retry in ${limited.retryAfterMs} ms`);
      } else {
        let frame: Uint8Array | undefined;
        try {
          frame = (await lp.read({ signal })).subarray();
        } catch (err) {
          if (!isFramingError(err)) {
            // Timeout, EOF or a broken stream: there is nobody to answer.
            stream.abort(asError(err));
            return;
          }
          reply =
            err instanceof InvalidDataLengthError || (err as Error).name === 'StreamBufferError'
              ? rpcError('too-large', `request frame exceeds ${maxRequestBytes} bytes`)
              : rpcError('bad-request', 'malformed length prefix');
        }
        if (frame) reply = await answer(frame, options, remotePeerId);
      }
      let bytes = encodeOrNull(reply);
      if (!bytes || bytes.length > options.maxResponseBytes) {
        bytes = encodeCanonical(rpcError('internal', 'the server could not encode its response'));
      }
      await lp.write(bytes, { signal });
      await stream.close({ signal });
    } catch (err) {
      stream.abort(asError(err));
    }
  };
}

async function answer<Req>(
  frame: Uint8Array,
  options: RpcServerOptions<Req>,
  remotePeerId: string,
): Promise<unknown> {
  let decoded: unknown;
  try {
    decoded = decodeCanonical(frame);
  } catch (err) {
    return rpcError('bad-request', (err as Error).message);
  }
  const request = parse(options.requestSchema, decoded);
  if (!request.ok) return rpcError('bad-request', request.error);
  try {
    return await options.handle(request.value, remotePeerId);
  } catch {
    return rpcError('internal', 'the server failed to handle the request');
  }
}

export interface RpcCallOptions<Res> {
  readonly responseSchema: v.GenericSchema<unknown, Res>;
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
  readonly maxRequestBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Sends one request and reads one response. `target` is a stream already negotiated for the
 * protocol, or a function that opens one. Never throws: every failure is a typed result, and
 * the stream is aborted on failure so nothing leaks.
 */
export async function rpcCall<Res>(
  target: Stream | OpenStream,
  request: unknown,
  options: RpcCallOptions<Res>,
): Promise<RpcResult<Res>> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const body = encodeOrNull(request);
  if (!body) return failure('bad-request', 'request has no canonical encoding');
  const maxRequestBytes = options.maxRequestBytes ?? NET_LIMITS.requestMaxBytes;
  if (body.length > maxRequestBytes) {
    return failure('bad-request', `request of ${body.length} bytes exceeds ${maxRequestBytes}`);
  }
  if (signal.aborted) return abortedResult(options.signal, options.timeoutMs);
  let stream: Stream | undefined;
  try {
    stream = typeof target === 'function' ? await openWithin(target, signal) : target;
    const lp = lpStream(stream, {
      maxDataLength: options.maxResponseBytes,
      maxBufferSize: options.maxResponseBytes + 16,
    });
    await lp.write(body, { signal });
    await stream.close({ signal });
    const frame = (await lp.read({ signal })).subarray();
    const result = readResponse(frame, options.responseSchema);
    if (!result.ok) stream.abort(new Error(result.error.message));
    return result;
  } catch (err) {
    stream?.abort(asError(err));
    if (signal.aborted) return abortedResult(options.signal, options.timeoutMs);
    if (isFramingError(err)) {
      return failure('bad-response', `response frame refused: ${(err as Error).message}`);
    }
    return failure('transport', `stream failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** The opener's stream, or a rejection once `signal` aborts (a late stream is then aborted). */
function openWithin(open: OpenStream, signal: AbortSignal): Promise<Stream> {
  return new Promise<Stream>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    open(signal).then(
      (stream) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) stream.abort(new Error('opened too late'));
        else resolve(stream);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function readResponse<Res>(
  frame: Uint8Array,
  schema: v.GenericSchema<unknown, Res>,
): RpcResult<Res> {
  let decoded: unknown;
  try {
    decoded = decodeCanonical(frame);
  } catch (err) {
    return failure('bad-response', (err as Error).message);
  }
  if ((decoded as { type?: unknown } | null)?.type === 'error') {
    const frame = parse(RpcErrorFrameSchema, decoded);
    if (!frame.ok) return failure('bad-response', `malformed error frame: ${frame.error}`);
    return failure(frame.value.code, frame.value.message, true);
  }
  const parsed = parse(schema, decoded);
  if (!parsed.ok) return failure('bad-response', parsed.error);
  return { ok: true, value: parsed.value };
}

function abortedResult(callerSignal: AbortSignal | undefined, timeoutMs: number): RpcResult<never> {
  return callerSignal?.aborted
    ? failure('aborted', 'aborted by the caller')
    : failure('timeout', `no response within ${timeoutMs} ms`);
}

function encodeOrNull(value: unknown): Uint8Array | null {
  try {
    return encodeCanonical(value);
  } catch {
    return null;
  }
}

/** A peer sent more, or a stranger length, than the limits allow (not a broken connection). */
function isFramingError(err: unknown): boolean {
  return (
    err instanceof InvalidDataLengthError ||
    (err as Error | undefined)?.name === 'StreamBufferError' ||
    err instanceof InvalidDataLengthLengthError ||
    err instanceof InvalidMessageLengthError
  );
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
