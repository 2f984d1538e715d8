/**
 * Ed25519 identities and signatures (@noble/curves). A signature covers
 * tag ‖ 0x00 ‖ networkId ‖ canonicalCBOR(unsigned body), so a signature for one object type or
 * one network can never be replayed as another.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, encodeCanonical, hexToBytes, utf8ToBytes } from './encoding';

/** An account id is the hex of its 32-byte Ed25519 public key (the libp2p peer id wraps it). */
export type AccountId = string;

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: AccountId;
}

/** Deterministic: randomness is the caller's job (core takes no entropy of its own). */
export function keyPairFromSeed(seed32: Uint8Array): KeyPair {
  if (seed32.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return { secretKey: seed32, publicKey: bytesToHex(ed25519.getPublicKey(seed32)) };
}

export function signingBytes(tag: string, networkId: string, body: unknown): Uint8Array {
  return concatBytes(utf8ToBytes(`${tag}\u0000`), hexToBytes(networkId), encodeCanonical(body));
}

export function signBody(tag: string, networkId: string, body: unknown, key: KeyPair): string {
  return bytesToHex(ed25519.sign(signingBytes(tag, networkId, body), key.secretKey));
}

export function verifyBody(
  tag: string,
  networkId: string,
  body: unknown,
  signature: string,
  signer: AccountId,
): boolean {
  try {
    const message = signingBytes(tag, networkId, body);
    if (verifiedSignatures.has(signatureKey(signature, signer, message))) return true;
    return ed25519.verify(hexToBytes(signature), message, hexToBytes(signer), { zip215: false });
  } catch {
    return false;
  }
}

// ---- verified-signature cache --------------------------------------------------------------
// Checking a block's signatures with noble costs ~2 ms each here; the platform's native Ed25519
// (WebCrypto) is ~8× faster but asynchronous, and applyBlock is synchronous. So a caller may
// check a batch natively first and record the triples that verified; verifyBody then skips
// them. Results never change, only their cost (like Bitcoin Core's signature cache).
//
// Native verifiers (BoringSSL, OpenSSL) accept a superset of what strict noble accepts only
// through the public key: non-canonical encodings and small-order points. So a triple may be
// recorded only for keys that pass noble's strict decoding (`isStrictPublicKey`); for those,
// native acceptance (cofactorless, canonical R, S < L) implies strict noble acceptance.

const SIGNATURE_CACHE_SIZE = 1 << 16;
const verifiedSignatures = new Set<string>();
const strictKeys = new Map<AccountId, boolean>();

function signatureKey(signature: string, signer: AccountId, message: Uint8Array): string {
  return `${signer}:${signature}:${bytesToHex(sha256(message))}`;
}

/**
 * True when `signer` is a canonical, non-small-order Ed25519 point (what strict verification
 * demands of a public key). Memoized: a chain has few distinct signers.
 */
export function isStrictPublicKey(signer: AccountId): boolean {
  let strict = strictKeys.get(signer);
  if (strict === undefined) {
    try {
      strict = !ed25519.Point.fromBytes(hexToBytes(signer), false).isSmallOrder();
    } catch {
      strict = false;
    }
    if (strictKeys.size >= SIGNATURE_CACHE_SIZE) strictKeys.clear();
    strictKeys.set(signer, strict);
  }
  return strict;
}

/**
 * Records a signature that a native Ed25519 implementation verified over exactly `message`.
 * Refused (returns false) for keys that are not strict, where native and noble could disagree.
 */
export function recordVerifiedSignature(
  signature: string,
  signer: AccountId,
  message: Uint8Array,
): boolean {
  if (!isStrictPublicKey(signer)) return false;
  if (verifiedSignatures.size >= SIGNATURE_CACHE_SIZE) {
    // Oldest first (Set keeps insertion order): drop the first eighth in one go.
    let drop = SIGNATURE_CACHE_SIZE >> 3;
    for (const key of verifiedSignatures) {
      verifiedSignatures.delete(key);
      if (--drop === 0) break;
    }
  }
  verifiedSignatures.add(signatureKey(signature, signer, message));
  return true;
}
