/**
 * Addresses people type or click: a 64-hex-digit public key or a libp2p peer id (`12D3KooW…`)
 * naming the same Ed25519 key. The app only checks the shape; the node decodes and validates
 * (window.doin.account and transfer accept either form).
 */
const HEX_KEY = /^[0-9a-f]{64}$/i;
const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/;

export function looksLikeAddress(text: string): boolean {
  const trimmed = text.trim();
  return HEX_KEY.test(trimmed) || PEER_ID.test(trimmed);
}
