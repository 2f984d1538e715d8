/**
 * Ed25519 identities and signatures (@noble/curves). A signature covers
 * tag ‖ 0x00 ‖ networkId ‖ canonicalCBOR(unsigned body), so a signature for one object type or
 * one network can never be replayed as another.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
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
    return ed25519.verify(
      hexToBytes(signature),
      signingBytes(tag, networkId, body),
      hexToBytes(signer),
      { zip215: false },
    );
  } catch {
    return false;
  }
}
