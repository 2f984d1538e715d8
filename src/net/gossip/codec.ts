/**
 * Gossip payloads are the canonical CBOR of one signed core object. Decoding is size-limited per
 * topic before any parsing, and never throws: bad bytes become a 'too-large' or 'not-cbor'
 * failure that the validator turns into a reject.
 */

import type * as v from 'valibot';
import { decodeCanonical, encodeCanonical } from '../../core/encoding';
import {
  type Block,
  type Commit,
  parse,
  type Reveal,
  type Transfer,
  type Vote,
} from '../../core/schemas';
import { DOIN_TOPICS } from '../topics.js';
import { fail, type GossipFailure } from './verdict';

export type GossipTopic = (typeof DOIN_TOPICS)[number];
export const GOSSIP_TOPICS: readonly GossipTopic[] = DOIN_TOPICS;

export const isGossipTopic = (topic: string): topic is GossipTopic =>
  (GOSSIP_TOPICS as readonly string[]).includes(topic);

/** What each topic carries. */
export interface GossipObjects {
  'doin/1/commit': Commit;
  'doin/1/reveal': Reveal;
  'doin/1/vote': Vote;
  'doin/1/block': Block;
  'doin/1/tx': Transfer;
}
export type GossipObject = GossipObjects[GossipTopic];

/** Commits, reveals, votes and transfers: worst case 767 bytes (a transfer, see below). */
const SMALL_OBJECT_BYTES = 4 * 1024;

/**
 * Largest payload per topic, checked before decoding. Worst cases under core LIMITS, in
 * canonical CBOR (a 32-byte hash as hex text is 66 bytes, a signature 130, a number ≤ 9, keys
 * counted with their headers):
 *   commit 471 B; reveal 441 B; vote 385 B;
 *   transfer 767 B (a 140-unit memo is at most 420 bytes of UTF-8);
 *   optimae = commit + reveal + 16 votes ≈ 7,094 B, so 64 optimae ≈ 454,018 B;
 *   256 transfers ≈ 196,352 B; coinbase with 64×17+1 outputs (86 B each) ≈ 93,696 B;
 *   header 388 B + signature + keys ≈ 570 B
 *   ⇒ a full block ≈ 744,626 B. 1 MiB leaves ~40% headroom and bounds what a peer can make us
 * decode. 4 KiB for small objects is ~5× their worst case. tests/unit/net.gossip.test.ts builds
 * the worst cases and checks them against these limits. gossipsub's own inbound limit must be
 * at least the block limit (its default, 4 MB, is).
 */
export const MAX_GOSSIP_BYTES: Readonly<Record<GossipTopic, number>> = {
  'doin/1/commit': SMALL_OBJECT_BYTES,
  'doin/1/reveal': SMALL_OBJECT_BYTES,
  'doin/1/vote': SMALL_OBJECT_BYTES,
  'doin/1/block': 1024 * 1024,
  'doin/1/tx': SMALL_OBJECT_BYTES,
};

/** The bytes to publish for an object (the same bytes its signature and id are computed over). */
export function encodeGossip(value: GossipObject): Uint8Array {
  return encodeCanonical(value);
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; failure: GossipFailure };

/** Size check, then canonical CBOR decode (non-canonical bytes are refused). Never throws. */
export function decodeGossip(data: Uint8Array, maxBytes: number): DecodeResult {
  if (data.length > maxBytes) {
    return { ok: false, failure: fail('too-large', `${data.length} bytes > ${maxBytes}`) };
  }
  // Every gossiped object is a CBOR map (major type 5): refuse anything else without parsing.
  const first = data[0];
  if (first === undefined || first >> 5 !== 5) {
    return { ok: false, failure: fail('not-cbor', 'expected a CBOR map') };
  }
  try {
    return { ok: true, value: decodeCanonical(data) };
  } catch (err) {
    // EncodingError for bad or non-canonical bytes; RangeError if nesting exhausts the stack.
    return { ok: false, failure: fail('not-cbor', err instanceof Error ? err.message : 'invalid') };
  }
}

export type ParsedMessage<T> = { ok: true; value: T } | { ok: false; failure: GossipFailure };

/** Size → canonical CBOR → schema: the envelope checks every topic starts with. */
export function decodeAs<S extends v.GenericSchema>(
  schema: S,
  data: Uint8Array,
  maxBytes: number,
): ParsedMessage<v.InferOutput<S>> {
  const decoded = decodeGossip(data, maxBytes);
  if (!decoded.ok) return decoded;
  const parsed = parse(schema, decoded.value);
  if (!parsed.ok) return { ok: false, failure: fail('schema', parsed.error) };
  return { ok: true, value: parsed.value };
}
