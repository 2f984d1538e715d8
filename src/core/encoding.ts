/**
 * Canonical encoding: deterministic CBOR per RFC 8949 §4.2.1 (core deterministic encoding:
 * shortest integer/length forms, map keys sorted bytewise, no indefinite lengths), via cborg.
 * One value has exactly one byte string; decode() rejects anything that does not re-encode to
 * the same bytes, so two peers can never disagree on what was signed or hashed.
 */
import { decode as cborDecode, encode as cborEncode, rfc8949EncodeOptions } from 'cborg';

const decodeOptions = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowUndefined: false,
  allowIndefinite: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
} as const;

export class EncodingError extends Error {
  override name = 'EncodingError';
}

/** Values that have a canonical encoding: JSON-like data with integers, finite floats and bytes. */
export type Encodable =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Encodable[]
  | { readonly [key: string]: Encodable };

export function encodeCanonical(value: unknown): Uint8Array {
  assertEncodable(value, '$');
  return cborEncode(value, rfc8949EncodeOptions);
}

/** Decodes bytes and proves they were canonical (re-encoding must reproduce them exactly). */
export function decodeCanonical(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = cborDecode(bytes, decodeOptions);
  } catch (err) {
    throw new EncodingError(`malformed CBOR: ${(err as Error).message}`);
  }
  // encodeCanonical, not bare cborg: a value it refuses (e.g. an integral float beyond the safe
  // range, which cborg round-trips) has no canonical encoding and must not decode either.
  const again = encodeCanonical(value);
  if (!equalBytes(again, bytes)) throw new EncodingError('non-canonical CBOR encoding');
  return value;
}

function assertEncodable(value: unknown, path: string): void {
  switch (typeof value) {
    case 'string':
      assertWellFormed(value, path);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new EncodingError(`${path}: non-finite number`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new EncodingError(`${path}: integer outside the safe range`);
      }
      if (Object.is(value, -0)) throw new EncodingError(`${path}: negative zero`);
      return;
    case 'object': {
      if (value === null || value instanceof Uint8Array) return;
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) assertEncodable(item, `${path}[${i}]`);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new EncodingError(`${path}: only plain objects can be encoded`);
      }
      for (const [key, item] of Object.entries(value)) {
        assertWellFormed(key, `${path} key`);
        if (item === undefined) throw new EncodingError(`${path}.${key}: undefined`);
        assertEncodable(item, `${path}.${key}`);
      }
      return;
    }
    default:
      throw new EncodingError(`${path}: cannot encode ${typeof value}`);
  }
}

/**
 * A lone UTF-16 surrogate has no UTF-8 form: it would be written as U+FFFD, so two different
 * strings would share one encoding (and one signature).
 */
function assertWellFormed(text: string, path: string): void {
  if (/[\uD800-\uDFFF]/u.test(text)) throw new EncodingError(`${path}: lone surrogate in string`);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
