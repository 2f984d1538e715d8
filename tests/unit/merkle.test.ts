import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../../src/core/encoding';
import {
  EMPTY_MERKLE_ROOT,
  type MerkleProofStep,
  merkleLeaf,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from '../../src/core/merkle';

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
const leafList = (min = 1, max = 40) => fc.uniqueArray(hash, { minLength: min, maxLength: max });
/** A leaf list with a valid index into it. */
const listAndIndex = leafList().chain((leaves) =>
  fc.tuple(fc.constant(leaves), fc.nat({ max: leaves.length - 1 })),
);

const leafNode = (h: string) => sha256(concatBytes(Uint8Array.of(0), hexToBytes(h)));
const innerNode = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r));

/** The documented construction: RFC 6962 prefixes, pairwise, an odd node promoted unchanged. */
function referenceRoot(leaves: readonly string[]): string {
  let level: Uint8Array[] = leaves.map(leafNode);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? innerNode(level[i] as Uint8Array, right) : (level[i] as Uint8Array));
    }
    level = next;
  }
  return bytesToHex(level[0] as Uint8Array);
}

const otherHash = (h: string, pick: number) => {
  const bytes = hexToBytes(h);
  bytes[pick % 32] = (bytes[pick % 32] as number) ^ (1 + (pick % 255));
  return bytesToHex(bytes);
};

describe('merkleRoot', () => {
  it('matches the documented construction', () => {
    fc.assert(
      fc.property(leafList(), (leaves) => {
        expect(merkleRoot(leaves)).toBe(referenceRoot(leaves));
      }),
      { numRuns: 150 },
    );
    const a = '11'.repeat(32);
    const b = '22'.repeat(32);
    const c = '33'.repeat(32);
    expect(merkleRoot([a])).toBe(bytesToHex(leafNode(a)));
    expect(merkleRoot([a, b, c])).toBe(
      bytesToHex(innerNode(innerNode(leafNode(a), leafNode(b)), leafNode(c))),
    );
  });

  it('has a fixed empty root, unlike any one-leaf root', () => {
    expect(EMPTY_MERKLE_ROOT).toBe(bytesToHex(sha256(utf8ToBytes('doin/1/merkle-empty'))));
    expect(merkleRoot([])).toBe(EMPTY_MERKLE_ROOT);
    fc.assert(fc.property(hash, (h) => merkleRoot([h]) !== EMPTY_MERKLE_ROOT));
  });

  it('changes when any leaf changes, when two distinct leaves swap, or a leaf is added', () => {
    fc.assert(
      fc.property(listAndIndex, fc.nat(), fc.nat(), ([leaves, i], j, pick) => {
        const root = merkleRoot(leaves);
        const changed = [...leaves];
        changed[i] = otherHash(leaves[i] as string, pick);
        expect(merkleRoot(changed)).not.toBe(root);
        const k = j % leaves.length;
        if (k !== i) {
          const swapped = [...leaves];
          [swapped[i], swapped[k]] = [leaves[k] as string, leaves[i] as string];
          expect(merkleRoot(swapped)).not.toBe(root);
        }
        expect(merkleRoot([...leaves, changed[i] as string])).not.toBe(root);
        if (leaves.length > 1) expect(merkleRoot(leaves.slice(0, -1))).not.toBe(root);
      }),
      { numRuns: 200 },
    );
  });
});

describe('merkleProof / verifyMerkleProof', () => {
  it('every leaf has a short proof that verifies against the root', () => {
    fc.assert(
      fc.property(leafList(), (leaves) => {
        const root = merkleRoot(leaves);
        const depth = Math.ceil(Math.log2(leaves.length));
        for (const [index, leaf] of leaves.entries()) {
          const proof = merkleProof(leaves, index);
          expect(proof.length).toBeLessThanOrEqual(depth);
          expect(verifyMerkleProof(leaf, proof, root)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('fails for another leaf, another root, a modified, dropped or extra step', () => {
    fc.assert(
      fc.property(listAndIndex, fc.nat(), fc.nat(), ([leaves, index], pick, j) => {
        const root = merkleRoot(leaves);
        const leaf = leaves[index] as string;
        const proof = merkleProof(leaves, index);
        expect(verifyMerkleProof(otherHash(leaf, pick), proof, root)).toBe(false);
        expect(verifyMerkleProof(leaf, proof, otherHash(root, pick))).toBe(false);
        // Another leaf of the same tree with this leaf's proof.
        const k = j % leaves.length;
        if (k !== index) expect(verifyMerkleProof(leaves[k] as string, proof, root)).toBe(false);
        if (proof.length > 0) {
          const s = pick % proof.length;
          const step = proof[s] as MerkleProofStep;
          const withHash = proof.map((p, i) =>
            i === s ? { ...p, hash: otherHash(step.hash, j) } : p,
          );
          expect(verifyMerkleProof(leaf, withHash, root)).toBe(false);
          const flipped = proof.map((p, i) =>
            i === s
              ? { ...p, side: p.side === 'left' ? ('right' as const) : ('left' as const) }
              : p,
          );
          expect(verifyMerkleProof(leaf, flipped, root)).toBe(false);
          expect(verifyMerkleProof(leaf, proof.slice(0, -1), root)).toBe(false);
          expect(verifyMerkleProof(leaf, proof.slice(1), root)).toBe(false);
        }
        expect(verifyMerkleProof(leaf, [...proof, { side: 'right', hash: leaf }], root)).toBe(
          false,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('separates leaves from inner nodes: an inner node cannot pose as a leaf', () => {
    fc.assert(
      fc.property(leafList(2, 2), leafList(2, 2), ([a, b], [c, d]) => {
        const la = leafNode(a as string);
        const lb = leafNode(b as string);
        const ab = innerNode(la, lb);
        const cd = innerNode(leafNode(c as string), leafNode(d as string));
        // Two leaves: the root is the inner node; as a "leaf" it proves nothing.
        const twoRoot = merkleRoot([a as string, b as string]);
        expect(twoRoot).toBe(bytesToHex(ab));
        expect(verifyMerkleProof(twoRoot, [], twoRoot)).toBe(false);
        // Nor does the concatenation of its children (the preimage of the inner node).
        expect(verifyMerkleProof(bytesToHex(concatBytes(la, lb)), [], twoRoot)).toBe(false);
        // Four leaves: the inner node ab with a correct sibling path is not a leaf of the tree.
        const fourRoot = merkleRoot([a, b, c, d] as string[]);
        expect(fourRoot).toBe(bytesToHex(innerNode(ab, cd)));
        expect(
          verifyMerkleProof(bytesToHex(ab), [{ side: 'right', hash: bytesToHex(cd) }], fourRoot),
        ).toBe(false);
        // ...while the real leaves do verify.
        expect(
          verifyMerkleProof(a as string, merkleProof([a, b, c, d] as string[], 0), fourRoot),
        ).toBe(true);
        expect(bytesToHex(merkleLeaf(a as string))).toBe(bytesToHex(la));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses out-of-range indices and never throws on malformed proofs', () => {
    const leaves = ['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(32)];
    for (const bad of [-1, 3, 1.5, Number.NaN]) {
      expect(() => merkleProof(leaves, bad)).toThrow(RangeError);
    }
    expect(() => merkleProof([], 0)).toThrow(RangeError);
    const root = merkleRoot(leaves);
    expect(verifyMerkleProof(leaves[0] as string, [{ side: 'right', hash: 'zz' }], root)).toBe(
      false,
    );
    expect(verifyMerkleProof('not hex', merkleProof(leaves, 0), root)).toBe(false);
  });
});
