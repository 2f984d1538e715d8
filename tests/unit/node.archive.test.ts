/**
 * Importing chain archives into a node's block tree (src/node/archive.ts): a fresh tree reaches
 * the archive's head; a tampered block stops the import at its height with the core error code
 * and keeps the valid prefix; another network's archive is refused; a lighter archive does not
 * move a heavier head.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { sealBlock } from '../../src/core/builder';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { genesisState } from '../../src/core/genesis';
import type { Block, ChainState } from '../../src/core/schemas';
import { ArchiveImportError, readArchive, replayArchive } from '../../src/node/archive';
import { type ChainArchive, encodeArchive, parseArchive } from '../../src/storage';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000 });

const params = testParams();
const keys = devKeys(3, 'node archive');
let genesis: ChainState;
let chain: DevChain;

beforeAll(() => {
  genesis = genesisState(params);
  chain = buildDevChain(params, { length: 10, keys });
});

function target(tree: BlockTree, now = chain.lastTimestamp) {
  return { networkId: genesis.networkId, add: (block: Block) => tree.add(block, { now }) };
}

function archiveOf(blocks: readonly Block[]): ChainArchive {
  return parseArchive(encodeArchive({ networkId: genesis.networkId, blocks }));
}

describe('archive import', () => {
  it('brings a fresh tree to the same head', () => {
    const tree = new BlockTree(genesis);
    const archive = readArchive(
      encodeArchive({ networkId: genesis.networkId, blocks: chain.blocks }),
      genesis.networkId,
    );
    const replay = replayArchive(archive, target(tree));
    expect(replay).toEqual({ imported: 10, added: 10 });
    expect(tree.head.hash).toBe(chain.hashes[9]);
    expect(tree.head.height).toBe(10);
    // Again: everything is known already, nothing changes.
    expect(replayArchive(archive, target(tree))).toEqual({ imported: 10, added: 0 });
    expect(tree.head.hash).toBe(chain.hashes[9]);
  });

  it('stops at a tampered block with its height and error code, keeping the valid prefix', () => {
    // Block 6 re-sealed by its generator with a wrong increment sum: signed and linked, so only
    // the rules refuse it (it gets a new hash, so it is the archive's last block).
    const original = chain.blocks[5] as Block;
    const generator = keys.find((k) => k.publicKey === original.header.generator);
    if (!generator) throw new Error('generator key not found');
    const before = buildDevChain(params, { length: 5, keys }).state;
    const tampered = sealBlock(
      before,
      generator,
      { ...original.header, incrementSum: original.header.incrementSum + 1 },
      original.optimae,
      original.transactions,
    );
    const archive = archiveOf([...chain.blocks.slice(0, 5), tampered]);
    const tree = new BlockTree(genesis);
    let caught: unknown;
    try {
      replayArchive(archive, target(tree));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ArchiveImportError);
    const error = caught as ArchiveImportError;
    expect(error.height).toBe(6);
    expect(error.imported).toBe(5);
    expect(error.code).toBe('increment-sum');
    expect(error.message).toContain('block 6');
    expect(error.message).toContain(error.code as string);
    expect(tree.head.height).toBe(5);
    expect(tree.head.hash).toBe(chain.hashes[4]);
  });

  it('refuses another network’s archive', () => {
    const other = testParams({ name: 'doin-other' });
    const otherChain = buildDevChain(other, { length: 2, keys });
    const bytes = encodeArchive({
      networkId: genesisState(other).networkId,
      blocks: otherChain.blocks,
    });
    expect(() => readArchive(bytes, genesis.networkId)).toThrow(/another network/);
    const tree = new BlockTree(genesis);
    expect(() => replayArchive(parseArchive(bytes), target(tree))).toThrow(ArchiveImportError);
    expect(tree.head.height).toBe(0);
  });

  it('does not move a heavier head', () => {
    const tree = new BlockTree(genesis);
    for (const block of chain.blocks) tree.add(block, { now: chain.lastTimestamp });
    // A fork from block 2, three blocks long: lighter than the 10-block chain.
    const forkStart = buildDevChain(params, { length: 2, keys }).state;
    const fork = buildDevChain(params, { length: 3, keys, start: forkStart, label: 'fork' });
    const archive = archiveOf([...chain.blocks.slice(0, 2), ...fork.blocks]);
    const replay = replayArchive(archive, target(tree));
    expect(replay).toEqual({ imported: 5, added: 3 });
    expect(tree.head.hash).toBe(chain.hashes[9]);
    expect(tree.has(fork.hashes[2] as string)).toBe(true);
  });
});
