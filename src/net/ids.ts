/**
 * Account ids (hex Ed25519 public keys, what the chain records) and libp2p peer ids (what the
 * network and the wallet show) name the same key: conversions both ways, null when malformed.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { bytesToHex, hexToBytes } from '../core/encoding';

export function peerIdOfAccount(account: string): string | null {
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(hexToBytes(account))).toString();
  } catch {
    return null;
  }
}

export function accountOfPeerId(peerId: string): string | null {
  try {
    const key = peerIdFromString(peerId).publicKey;
    return key?.type === 'Ed25519' ? bytesToHex(key.raw) : null;
  } catch {
    return null;
  }
}
