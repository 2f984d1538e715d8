import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, encodeCanonical, hexToBytes, utf8ToBytes } from './encoding';

/** A 32-byte digest as 64 lowercase hex characters: the form used everywhere on the wire. */
export type Hash = string;

export const ZERO_HASH: Hash = '0'.repeat(64);

export function sha256Hex(bytes: Uint8Array): Hash {
  return bytesToHex(sha256(bytes));
}

/**
 * Hash of a value under a domain-separation tag, so that e.g. a commit and a vote with
 * identical fields can never share an id.
 */
export function hashTagged(tag: string, value: unknown): Hash {
  return sha256Hex(concatBytes(utf8ToBytes(`${tag}\u0000`), encodeCanonical(value)));
}

/** sha256 over the concatenation of hex-encoded byte strings (e.g. paramsHash ‖ nonce). */
export function hashConcatHex(tag: string, ...parts: string[]): Hash {
  return sha256Hex(concatBytes(utf8ToBytes(`${tag}\u0000`), ...parts.map((p) => hexToBytes(p))));
}

/** Content address of model parameters: sha256 of their little-endian float32 bytes. */
export function paramsHash(params: Float32Array): Hash {
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return sha256Hex(bytes);
  // Big-endian host: hash the little-endian form so every peer gets the same address.
  const le = new Uint8Array(bytes.length);
  const view = new DataView(le.buffer);
  for (const [i, v] of params.entries()) view.setFloat32(i * 4, v, true);
  return sha256Hex(le);
}
