/**
 * /doin/blob/1.0.0 over in-memory libp2p streams: parameters arrive bit-exact and are checked
 * against their content address; missing, mislabelled, oversize and malformed blobs fail with
 * clear codes; requests are rate-limited per peer.
 */
import '../../relay/polyfills.js';
import type { Stream } from '@libp2p/interface';
import { streamPair } from '@libp2p/utils';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type Hash, paramsHash } from '../../src/core/hash';
import {
  BLOB_PROTOCOL,
  BlobRequestSchema,
  createBlobServer,
  fetchBlob,
  float32ToLittleEndian,
  littleEndianToFloat32,
} from '../../src/net/blob';
import { NET_LIMITS } from '../../src/net/limits';
import { createRpcServer, type RpcHandler } from '../../src/net/rpc';

vi.setConfig({ testTimeout: 60_000 });

function peer(handler: RpcHandler, remotePeerId = 'client-peer') {
  const served: Promise<void>[] = [];
  const open = async (): Promise<Stream> => {
    const [client, server] = await streamPair();
    served.push(handler(server, remotePeerId));
    return client;
  };
  return { open, served };
}

const params = Float32Array.from({ length: 1_000 }, (_, i) => Math.sin(i) * 1e3);
const hash = paramsHash(params);

/** A server answering every request with these bytes, whatever was asked. */
const lyingServer = (bytes: Uint8Array) =>
  createRpcServer({
    requestSchema: BlobRequestSchema,
    maxResponseBytes: NET_LIMITS.blobResponseMaxBytes,
    timeoutMs: 5_000,
    handle: () => ({ type: 'blob', bytes }),
  });

describe('blob protocol', () => {
  it('is named as the design says', () => {
    expect(BLOB_PROTOCOL).toBe('/doin/blob/1.0.0');
  });

  it('fetches parameters bit-exact, checked against their hash', async () => {
    const special = Float32Array.from([0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e-45, -3.5]);
    const blobs = new Map<Hash, Float32Array>([
      [hash, params],
      [paramsHash(special), special],
    ]);
    const { open, served } = peer(createBlobServer({ get: (h) => blobs.get(h) }));
    const result = await fetchBlob(open, hash);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).toEqual(params);
      expect(paramsHash(result.value)).toBe(hash);
    }
    // -0, NaN and infinities survive as bits (the hash would catch any change).
    const odd = await fetchBlob(open, paramsHash(special));
    expect(odd.ok && float32ToLittleEndian(odd.value)).toEqual(float32ToLittleEndian(special));
    await Promise.all(served);
  });

  it('serves from an async source and over an already open stream', async () => {
    const handler = createBlobServer({ get: async (h) => (h === hash ? params : undefined) });
    const [client, server] = await streamPair();
    void handler(server, 'p');
    const result = await fetchBlob(client, hash, { paramCount: params.length });
    expect(result.ok && result.value.length).toBe(1_000);
  });

  it('reports a missing blob as not-found', async () => {
    const { open } = peer(createBlobServer({ get: () => undefined }));
    const result = await fetchBlob(open, 'ab'.repeat(32));
    expect(result).toMatchObject({ ok: false, error: { code: 'not-found', remote: true } });
  });

  it('rejects a blob that does not hash to what was asked (and never serves a corrupt copy)', async () => {
    const other = params.slice();
    other[17] = (other[17] as number) + 1;
    const liar = await fetchBlob(peer(lyingServer(float32ToLittleEndian(other))).open, hash);
    expect(liar).toMatchObject({ ok: false, error: { code: 'hash-mismatch', remote: false } });
    if (!liar.ok) expect(liar.error.message).toContain(paramsHash(other));

    // An honest server whose store returns wrong data for the hash says not-found instead.
    const corrupt = createBlobServer({ get: () => other });
    const result = await fetchBlob(peer(corrupt).open, hash);
    expect(result).toMatchObject({ ok: false, error: { code: 'not-found' } });
    // Without that check it would be sent, and the client still refuses it.
    const unchecked = createBlobServer({ get: () => other }, { verify: false });
    const sent = await fetchBlob(peer(unchecked).open, hash);
    expect(sent).toMatchObject({ ok: false, error: { code: 'hash-mismatch' } });
  });

  it('limits sizes: a maxBytes cap, the expected parameter count, whole float32s only', async () => {
    const { open } = peer(createBlobServer({ get: () => params }));
    const capped = await fetchBlob(open, hash, { maxBytes: 1_000 });
    expect(capped).toMatchObject({ ok: false, error: { code: 'bad-response' } });

    const wrongCount = await fetchBlob(open, hash, { paramCount: 999 });
    expect(wrongCount).toMatchObject({ ok: false, error: { code: 'bad-response' } });
    if (!wrongCount.ok) expect(wrongCount.error.message).toMatch(/1000 parameters, expected 999/);

    const ragged = await fetchBlob(peer(lyingServer(new Uint8Array(7))).open, hash);
    expect(ragged).toMatchObject({ ok: false, error: { code: 'bad-response' } });
    if (!ragged.ok) expect(ragged.error.message).toMatch(/float32/);

    expect(NET_LIMITS.maxBlobBytes).toBe(40_000_000); // 10M parameters, the core's cap
  });

  it('moves a multi-megabyte blob (above libp2p default buffer sizes)', async () => {
    const big = Float32Array.from({ length: 1_500_000 }, (_, i) => i * 0.5);
    const bigHash = paramsHash(big);
    const { open } = peer(createBlobServer({ get: (h) => (h === bigHash ? big : undefined) }));
    const result = await fetchBlob(open, bigHash);
    expect(result.ok && result.value.length).toBe(big.length);
  });

  it('refuses malformed requests and rate-limits each peer', async () => {
    let clock = 0;
    const handler = createBlobServer(
      { get: () => params },
      { requestsPerWindow: 2, windowMs: 1_000, now: () => clock },
    );
    const bad = await fetchBlob(peer(handler, 'x').open, 'not-a-hash');
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request', remote: true } });
    expect((await fetchBlob(peer(handler, 'x').open, hash)).ok).toBe(true);
    const limited = await fetchBlob(peer(handler, 'x').open, hash);
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate-limited', remote: true } });
    expect((await fetchBlob(peer(handler, 'y').open, hash)).ok).toBe(true);
    clock = 1_000;
    expect((await fetchBlob(peer(handler, 'x').open, hash)).ok).toBe(true);
  });

  it('wire form round-trips any float32 array, little-endian as paramsHash hashes it', () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 64 }), (values) => {
        const bytes = float32ToLittleEndian(values);
        expect(bytes.length).toBe(values.length * 4);
        const back = littleEndianToFloat32(bytes);
        expect(float32ToLittleEndian(back)).toEqual(bytes);
        expect(paramsHash(back)).toBe(paramsHash(values));
      }),
    );
    // 1.0f is 00 00 80 3f little-endian.
    expect([...float32ToLittleEndian(Float32Array.from([1]))]).toEqual([0, 0, 0x80, 0x3f]);
    // A view at an odd offset of a larger buffer decodes on its own aligned copy.
    const padded = new Uint8Array(9);
    padded.set([0, 0, 0x80, 0x3f], 1);
    expect([...littleEndianToFloat32(padded.subarray(1, 5))]).toEqual([1]);
  });
});
