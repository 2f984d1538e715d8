/**
 * Chain archives: export → parse → replay → commit reproduces the profile (and the same bytes);
 * the codec round-trips and is deterministic; anything damaged, tampered with or foreign is
 * refused with an ArchiveError saying why, and parsing never writes.
 */
import { IDBFactory } from 'fake-indexeddb';
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { bytesToHex, encodeCanonical } from '../../src/core/encoding';
import { genesisState } from '../../src/core/genesis';
import type { Hash } from '../../src/core/hash';
import type { Block, ChainState } from '../../src/core/schemas';
import {
  ArchiveError,
  type ChainArchive,
  type ChainStore,
  encodeArchive,
  type HeadChange,
  openChainStore,
  parseArchive,
  StorageError,
} from '../../src/storage';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
let genesis: ChainState;
let chain: DevChain;

beforeAll(() => {
  genesis = genesisState(params);
  chain = buildDevChain(params, { length: 12, keys: devKeys(3, 'archive') });
});

const stores: ChainStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.destroy();
});

async function open(profile: string, factory = new IDBFactory()): Promise<ChainStore> {
  const store = await openChainStore(profile, { indexedDB: factory, snapshotInterval: 4 });
  stores.push(store);
  return store;
}

/** Commits a validated line of blocks (from genesis) in one change, with the head's snapshot. */
function lineChange(tree: BlockTree, blocks: readonly Block[]): HeadChange {
  const hashes = blocks.map((_, i) => tree.hashAtHeight(i + 1) as Hash);
  return {
    networkId: genesis.networkId,
    added: blocks.map((block, i) => ({ hash: hashes[i] as Hash, block })),
    mainChain: hashes.map((hash, i) => ({ height: i + 1, hash })),
    head: { hash: tree.head.hash, height: tree.head.height },
    snapshot: { hash: tree.head.hash, state: tree.state },
  };
}

/** What the node does with an archive: parse, replay with the rules, then commit. */
async function importArchive(store: ChainStore, bytes: Uint8Array): Promise<BlockTree> {
  const archive = parseArchive(bytes);
  if (archive.networkId !== genesis.networkId) throw new Error('another network');
  const tree = new BlockTree(genesis);
  for (const block of archive.blocks) {
    const result = tree.add(block, { now: chain.lastTimestamp });
    if (result.status !== 'head') throw new Error(`block refused: ${result.status}`);
  }
  await store.commitHead(lineChange(tree, archive.blocks));
  if (archive.identitySeed) await store.saveIdentity(archive.identitySeed);
  return tree;
}

async function exporter(): Promise<ChainStore> {
  const store = await open('source');
  const tree = new BlockTree(genesis);
  for (const block of chain.blocks) tree.add(block, { now: chain.lastTimestamp });
  await store.commitHead(lineChange(tree, chain.blocks));
  await store.saveIdentity(new Uint8Array(32).fill(5));
  return store;
}

/** Encodes an archive-shaped value directly, bypassing encodeArchive's checks. */
const raw = (value: Record<string, unknown>): Uint8Array =>
  encodeCanonical({
    format: 'doin-archive',
    version: 1,
    networkId: genesis.networkId,
    blocks: chain.blocks,
    ...value,
  });

describe('export and import', () => {
  it('round-trips a profile: same chain, same identity, same bytes', async () => {
    const source = await exporter();
    const bytes = await source.exportArchive({ includeIdentity: true });
    expect(await source.exportArchive({ includeIdentity: true })).toEqual(bytes);
    const archive = parseArchive(bytes);
    expect(archive.networkId).toBe(genesis.networkId);
    expect(archive.blocks).toEqual(chain.blocks);
    expect(archive.identitySeed).toEqual(new Uint8Array(32).fill(5));

    const target = await open('target');
    const tree = await importArchive(target, bytes);
    expect(tree.state).toStrictEqual(chain.state);
    expect(await target.loadIdentity()).toEqual(new Uint8Array(32).fill(5));
    const loaded = await target.loadHead(genesis);
    expect(loaded?.head).toEqual({ hash: chain.hashes[11], height: 12 });
    expect(await target.exportArchive({ includeIdentity: true })).toEqual(bytes);
  });

  it('leaves the identity out unless asked', async () => {
    const source = await exporter();
    const archive = parseArchive(await source.exportArchive());
    expect(archive.identitySeed).toBeUndefined();
    expect('identitySeed' in archive).toBe(false);
    expect(archive.blocks).toHaveLength(12);
  });

  it('an empty profile has nothing to export', async () => {
    const store = await open('empty');
    await expect(store.exportArchive()).rejects.toThrow(/nothing to export/);
    await expect(store.exportArchive()).rejects.toBeInstanceOf(StorageError);
  });
});

describe('damaged and tampered archives', () => {
  it('are refused with an ArchiveError that says why', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /not a doin archive/],
      [new TextEncoder().encode('{"format":"doin-archive"}'), /not a doin archive/],
      [encodeCanonical({ hello: 'world' }), /not a doin archive/],
      [raw({ version: 2 }), /version 2 is not supported/],
      [raw({ networkId: 'zz' }), /malformed archive: networkId/],
      [raw({ extra: 1 }), /malformed archive/],
      [raw({ identity: 'abcd' }), /malformed archive: identity/],
      [
        raw({ blocks: [chain.blocks[0], { ...chain.blocks[1], optimae: 'x' }] }),
        /blocks\.1\.optimae/,
      ],
      // A block left out: the line breaks.
      [raw({ blocks: [chain.blocks[0], ...chain.blocks.slice(2)] }), /block 2 does not follow/],
      // The chain of another network (or a forged genesis link).
      [raw({ networkId: 'ab'.repeat(32) }), /block 1 does not follow/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseArchive(bytes)).toThrow(ArchiveError);
      expect(() => parseArchive(bytes)).toThrow(message);
    }
    expect(() => parseArchive('bytes' as unknown as Uint8Array)).toThrow(/must be bytes/);
  });

  it('a changed header breaks the line; a changed signature is left to the rules', async () => {
    const source = await exporter();
    const bytes = await source.exportArchive();
    // Change block 5's timestamp by re-encoding: the file is canonical, but block 6 no longer
    // follows block 5.
    const blocks = structuredClone(chain.blocks);
    (blocks[4] as Block).header.timestamp += 1;
    expect(() => parseArchive(raw({ blocks }))).toThrow(/block 6 does not follow/);

    // The same text with one hex digit of the last block's signature flipped in place.
    const lastSig = (chain.blocks[11] as Block).signature;
    const at = indexOf(bytes, new TextEncoder().encode(lastSig));
    const flipped = bytes.slice();
    flipped[at] = flipped[at] === 0x61 ? 0x62 : 0x61; // 'a' <-> 'b'
    const parsed = parseArchive(flipped); // well-formed and linked …
    const tree = new BlockTree(genesis);
    const results = parsed.blocks.map((b) => tree.add(b, { now: chain.lastTimestamp }).status);
    expect(results.slice(0, 11).every((s) => s === 'head')).toBe(true);
    expect(results[11]).toBe('invalid'); // … and refused by the rules, as documented.

    // Flipping a byte of the CBOR framing instead makes it unreadable or non-canonical.
    const framing = bytes.slice();
    framing[0] = (framing[0] as number) ^ 0x20;
    expect(() => parseArchive(framing)).toThrow(ArchiveError);
    expect(() => parseArchive(bytes.slice(0, bytes.length - 1))).toThrow(/not a doin archive/);
  });

  it('an oversized archive is refused before decoding', () => {
    const bytes = encodeArchive({ networkId: genesis.networkId, blocks: chain.blocks });
    expect(() => parseArchive(bytes, { maxBytes: bytes.length - 1 })).toThrow(/over the/);
    expect(parseArchive(bytes, { maxBytes: bytes.length }).blocks).toHaveLength(12);
  });

  it('encodeArchive refuses what parseArchive would refuse', () => {
    const networkId = genesis.networkId;
    expect(() => encodeArchive({ networkId, blocks: chain.blocks.slice(1) })).toThrow(ArchiveError);
    expect(() =>
      encodeArchive({ networkId, blocks: [], identitySeed: new Uint8Array(16) }),
    ).toThrow(/32 bytes/);
  });
});

describe('archive codec', () => {
  const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
  const archives: fc.Arbitrary<ChainArchive> = fc
    .record({
      length: fc.integer({ min: 0, max: 12 }),
      emptyNetwork: hex32,
      seed: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
    })
    .map(({ length, emptyNetwork, seed }) => {
      // Blocks must link to the network id, so only an empty archive may name any network.
      const networkId = length === 0 ? emptyNetwork : genesis.networkId;
      const base = { networkId, blocks: chain.blocks.slice(0, length) };
      return seed === undefined ? base : { ...base, identitySeed: seed };
    });

  it('round-trips and is deterministic', () => {
    fc.assert(
      fc.property(archives, (archive) => {
        const bytes = encodeArchive(archive);
        const back = parseArchive(bytes);
        expect(back).toEqual(archive);
        expect(encodeArchive(back)).toEqual(bytes);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('any byte changed or cut: an ArchiveError, or an archive that still parses', () => {
    const bytes = encodeArchive({ networkId: genesis.networkId, blocks: chain.blocks.slice(0, 3) });
    fc.assert(
      fc.property(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (at, xor, cut) => {
          const damaged = cut ? bytes.slice(0, at) : bytes.slice();
          if (!cut) damaged[at] = (damaged[at] as number) ^ xor;
          try {
            const parsed = parseArchive(damaged);
            expect(parsed.blocks.length).toBeLessThanOrEqual(3);
          } catch (err) {
            expect(err).toBeInstanceOf(ArchiveError);
          }
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it('random bytes are never mistaken for an archive', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expect(() => parseArchive(bytes)).toThrow(ArchiveError);
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}
