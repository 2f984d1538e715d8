/**
 * Published test vectors (tests/vectors/*.json) for a second implementation: recomputed here
 * from fixed keys, parameters and timestamps, and compared with the files. With
 * UPDATE_VECTORS=1 (npm run vectors) the files are (re)written instead. The byte-level rules
 * are also re-derived from first principles (sha256, Ed25519, CBOR bytes in the files), not only
 * through the helpers that produced them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { buildBlock } from '../../src/core/builder';
import { applyBlock } from '../../src/core/chain';
import { prepareCommit } from '../../src/core/commitReveal';
import { signingBytes } from '../../src/core/crypto';
import {
  bytesToHex,
  concatBytes,
  decodeCanonical,
  encodeCanonical,
  hexToBytes,
  utf8ToBytes,
} from '../../src/core/encoding';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import { hashTagged, paramsHash, sha256Hex } from '../../src/core/hash';
import {
  EMPTY_MERKLE_ROOT,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from '../../src/core/merkle';
import {
  blockHash,
  commitmentFor,
  optimaeLeaf,
  signVote,
  TAGS,
  transactionLeaf,
} from '../../src/core/objects';
import type { Block } from '../../src/core/schemas';
import { GENESIS_TIME, testKey, testParams } from '../support/fixtures';

const DIR = fileURLToPath(new URL('../vectors/', import.meta.url));
const UPDATE = process.env.UPDATE_VECTORS === '1';
const TEST_KEY_WARNING =
  'TEST KEYS ONLY: these secret seeds are public (sha256 of "doin test key <name>"). Never use them for anything of value.';

const hex = (bytes: Uint8Array) => bytesToHex(bytes);
const tagBytes = (tag: string) => utf8ToBytes(`${tag}\u0000`);

// ---- the vectors, computed --------------------------------------------------------------------

const MODEL = Float32Array.from([
  0.5, -0.25, 1, -1.5, 0.125, 2, -0.75, 0, 1.25, -2, 0.375, -0.125, 1.75, -0.5, 0.625, -1.25,
]);
const NONCE = sha256Hex(utf8ToBytes('doin test vector nonce'));

function commitmentVectors() {
  const bytes = new Uint8Array(MODEL.buffer, MODEL.byteOffset, MODEL.byteLength);
  const hash = paramsHash(MODEL);
  return {
    description:
      'Commit-reveal: paramsHash = sha256(model parameters as little-endian float32); commitment = sha256(utf8("doin/1/commitment") ‖ 0x00 ‖ paramsHash (32 bytes) ‖ nonce (32 bytes)).',
    tag: TAGS.commitment,
    params: [...MODEL],
    paramsLittleEndianFloat32Hex: hex(bytes),
    paramsHash: hash,
    nonce: NONCE,
    commitment: commitmentFor(hash, NONCE),
  };
}

function genesisVectors() {
  const params = testParams();
  const block = genesisBlock(params);
  return {
    description:
      'Genesis: its header is derived from the network parameters alone. prevHash = hash("doin/1/network-params", params); the genesis hash is the network id.',
    params,
    paramsCborHex: hex(encodeCanonical(params)),
    paramsHash: hashTagged(TAGS.params, params),
    genesisHeader: block.header,
    genesisHeaderCborHex: hex(encodeCanonical(block.header)),
    genesisSignature: block.signature,
    genesisHash: blockHash(block.header),
    networkId: genesisState(params).networkId,
  };
}

function signedBlockVectors() {
  const params = testParams();
  const state = genesisState(params);
  const networkId = state.networkId;
  const [optimizer, generator] = [testKey('ada'), testKey('eve')];
  const voters = ['bob', 'cyd', 'dee'].map(testKey);
  const metric = 0.25;
  const { commit, reveal, commitId } = prepareCommit(
    {
      domainId: params.domains[0]?.id as string,
      paramsHash: paramsHash(MODEL),
      nonce: NONCE,
      claimedMetric: metric,
      base: { height: 0, hash: networkId },
    },
    optimizer,
    networkId,
  );
  const votes = voters.map((voter) =>
    signVote(
      { commitId, paramsHash: reveal.paramsHash, evaluator: voter.publicKey, metric },
      voter,
      networkId,
    ),
  );
  const built = buildBlock({
    state,
    generator,
    timestamp: GENESIS_TIME + 10_000,
    optimae: [{ commit, reveal, votes }],
  });
  if (!built.ok) throw new Error(built.reason);
  const { block } = built;
  const names = ['ada', 'bob', 'cyd', 'dee', 'eve'];
  return {
    description:
      'Block 1 on the genesis.json network: one optimae (open bootstrap quorum of three votes) and the coinbase. Every signature is Ed25519 (RFC 8032, deterministic) over tag ‖ 0x00 ‖ networkId (32 bytes) ‖ canonical CBOR of the object without its signature field.',
    warning: TEST_KEY_WARNING,
    networkId,
    block,
    headerCborHex: hex(encodeCanonical(block.header)),
    headerSigningBytesHex: hex(signingBytes(TAGS.block, networkId, block.header)),
    headerHash: blockHash(block.header),
    signature: block.signature,
    signerPublicKey: generator.publicKey,
    signerSecretKeySeedHex: hex(generator.secretKey),
    commitId,
    optimaeLeaves: block.optimae.map(optimaeLeaf),
    transactionLeaves: block.transactions.map(transactionLeaf),
    testKeys: Object.fromEntries(
      names.map((name) => {
        const k = testKey(name);
        return [name, { publicKey: k.publicKey, secretKeySeedHex: hex(k.secretKey) }];
      }),
    ),
  };
}

const merkleLeafHash = (i: number) => sha256Hex(utf8ToBytes(`doin merkle vector leaf ${i}`));

function merkleVectors() {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => merkleLeafHash(i));
  const five = leaves(5);
  return {
    description:
      'Merkle trees over 32-byte leaf hashes: leaf node = sha256(0x00 ‖ leaf), inner node = sha256(0x01 ‖ left ‖ right), an odd last node is promoted unchanged to the next level, the empty tree is sha256(utf8("doin/1/merkle-empty")). Leaves here are sha256(utf8("doin merkle vector leaf <i>")).',
    emptyRoot: EMPTY_MERKLE_ROOT,
    trees: [0, 1, 2, 3, 4, 5, 7].map((n) => ({ leaves: leaves(n), root: merkleRoot(leaves(n)) })),
    proofs: [2, 4].map((index) => ({
      leaves: five,
      index,
      leaf: five[index],
      root: merkleRoot(five),
      proof: merkleProof(five, index),
    })),
  };
}

const FILES = {
  'genesis.json': genesisVectors,
  'signed-block.json': signedBlockVectors,
  'merkle.json': merkleVectors,
  'commitment.json': commitmentVectors,
} as const;

function published<K extends keyof typeof FILES>(name: K): ReturnType<(typeof FILES)[K]> {
  const path = `${DIR}${name}`;
  if (!existsSync(path)) throw new Error(`${name} is missing: run npm run vectors`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

// ---- tests ------------------------------------------------------------------------------------

describe.runIf(UPDATE)('writing test vectors (UPDATE_VECTORS=1)', () => {
  for (const [name, compute] of Object.entries(FILES)) {
    it(`writes ${name}`, () => {
      writeFileSync(`${DIR}${name}`, `${JSON.stringify(compute(), null, 2)}\n`);
    });
  }
});

describe.skipIf(UPDATE)('published test vectors', () => {
  for (const [name, compute] of Object.entries(FILES)) {
    it(`${name} matches what the code computes`, () => {
      expect(published(name as keyof typeof FILES)).toEqual(compute());
    });
  }

  it('genesis.json: the hashes follow from the CBOR bytes in the file', () => {
    const v = published('genesis.json');
    const tagged = (tag: string, cborHex: string) =>
      hex(sha256(concatBytes(tagBytes(tag), hexToBytes(cborHex))));
    expect(decodeCanonical(hexToBytes(v.paramsCborHex))).toEqual(v.params);
    expect(decodeCanonical(hexToBytes(v.genesisHeaderCborHex))).toEqual(v.genesisHeader);
    expect(tagged('doin/1/network-params', v.paramsCborHex)).toBe(v.paramsHash);
    expect(v.genesisHeader.prevHash).toBe(v.paramsHash);
    expect(tagged('doin/1/block', v.genesisHeaderCborHex)).toBe(v.genesisHash);
    expect(v.networkId).toBe(v.genesisHash);
  });

  it('signed-block.json: signing bytes, hash and signature check from the raw bytes', () => {
    const v = published('signed-block.json');
    const expectedSigning = concatBytes(
      tagBytes('doin/1/block'),
      hexToBytes(v.networkId),
      hexToBytes(v.headerCborHex),
    );
    expect(hex(expectedSigning)).toBe(v.headerSigningBytesHex);
    expect(decodeCanonical(hexToBytes(v.headerCborHex))).toEqual(v.block.header);
    expect(hex(sha256(concatBytes(tagBytes('doin/1/block'), hexToBytes(v.headerCborHex))))).toBe(
      v.headerHash,
    );
    const seed = hexToBytes(v.signerSecretKeySeedHex);
    expect(hex(ed25519.getPublicKey(seed))).toBe(v.signerPublicKey);
    expect(v.block.header.generator).toBe(v.signerPublicKey);
    expect(hex(ed25519.sign(expectedSigning, seed))).toBe(v.signature);
    expect(
      ed25519.verify(hexToBytes(v.signature), expectedSigning, hexToBytes(v.signerPublicKey)),
    ).toBe(true);
    // The roots are the merkle roots of the listed leaves, and the block is valid on genesis.
    expect(merkleRoot(v.optimaeLeaves)).toBe(v.block.header.optimaeRoot);
    expect(merkleRoot(v.transactionLeaves)).toBe(v.block.header.txRoot);
    const genesis = published('genesis.json');
    expect(v.networkId).toBe(genesis.networkId);
    const applied = applyBlock(genesisState(genesis.params), v.block as Block);
    expect(applied.ok && applied.hash).toBe(v.headerHash);
  });

  it('merkle.json: proofs verify against the roots', () => {
    const v = published('merkle.json');
    expect(v.emptyRoot).toBe(hex(sha256(utf8ToBytes('doin/1/merkle-empty'))));
    for (const p of v.proofs) {
      expect(verifyMerkleProof(p.leaf as string, p.proof, p.root)).toBe(true);
      expect(verifyMerkleProof(v.emptyRoot, p.proof, p.root)).toBe(false);
    }
    // A single leaf's root is its leaf node; two leaves make one inner node.
    const [one, two] = v.trees.slice(1, 3) as [(typeof v.trees)[number], (typeof v.trees)[number]];
    const leafNode = (h: string) => sha256(concatBytes(Uint8Array.of(0), hexToBytes(h)));
    expect(one.root).toBe(hex(leafNode(one.leaves[0] as string)));
    expect(two.root).toBe(
      hex(
        sha256(
          concatBytes(
            Uint8Array.of(1),
            leafNode(two.leaves[0] as string),
            leafNode(two.leaves[1] as string),
          ),
        ),
      ),
    );
  });

  it('commitment.json: paramsHash and commitment from the raw bytes', () => {
    const v = published('commitment.json');
    const bytes = new Uint8Array(v.params.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [i, x] of v.params.entries()) view.setFloat32(i * 4, x, true);
    expect(hex(bytes)).toBe(v.paramsLittleEndianFloat32Hex);
    expect(hex(sha256(bytes))).toBe(v.paramsHash);
    expect(
      hex(sha256(concatBytes(tagBytes(v.tag), hexToBytes(v.paramsHash), hexToBytes(v.nonce)))),
    ).toBe(v.commitment);
  });
});
