/**
 * Binary Merkle tree over sha256 with domain-separated leaves and nodes (0x00 / 0x01 prefixes,
 * as in RFC 6962) so a leaf can never pose as an inner node. An odd node is promoted unchanged.
 * The root of no leaves is sha256 of the empty-tree tag.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from './encoding';
import type { Hash } from './hash';

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
export const EMPTY_MERKLE_ROOT: Hash = bytesToHex(sha256(utf8ToBytes('doin/1/merkle-empty')));

export interface MerkleProofStep {
  readonly side: 'left' | 'right';
  readonly hash: Hash;
}

export function merkleLeaf(leafHash: Hash): Uint8Array {
  return sha256(concatBytes(LEAF, hexToBytes(leafHash)));
}

function parent(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE, left, right));
}

function levels(leafHashes: readonly Hash[]): Uint8Array[][] {
  const out: Uint8Array[][] = [leafHashes.map(merkleLeaf)];
  for (let level = out[0] as Uint8Array[]; level.length > 1; ) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array;
      const right = level[i + 1];
      next.push(right ? parent(left, right) : left);
    }
    out.push(next);
    level = next;
  }
  return out;
}

export function merkleRoot(leafHashes: readonly Hash[]): Hash {
  if (leafHashes.length === 0) return EMPTY_MERKLE_ROOT;
  const all = levels(leafHashes);
  return bytesToHex((all[all.length - 1] as Uint8Array[])[0] as Uint8Array);
}

export function merkleProof(leafHashes: readonly Hash[], index: number): MerkleProofStep[] {
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new RangeError(`leaf index ${index} out of range`);
  }
  const proof: MerkleProofStep[] = [];
  let i = index;
  for (const level of levels(leafHashes).slice(0, -1)) {
    const sibling = i % 2 === 0 ? level[i + 1] : level[i - 1];
    if (sibling) proof.push({ side: i % 2 === 0 ? 'right' : 'left', hash: bytesToHex(sibling) });
    i = Math.floor(i / 2);
  }
  return proof;
}

export function verifyMerkleProof(
  leafHash: Hash,
  proof: readonly MerkleProofStep[],
  root: Hash,
): boolean {
  try {
    let node = merkleLeaf(leafHash);
    for (const step of proof) {
      const sibling = hexToBytes(step.hash);
      node = step.side === 'right' ? parent(node, sibling) : parent(sibling, node);
    }
    return bytesToHex(node) === root;
  } catch {
    return false;
  }
}
