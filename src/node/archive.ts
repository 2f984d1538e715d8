/**
 * Importing a chain archive (src/storage/archive.ts) into a node, without libp2p: the archive
 * is parsed (size, shape, one line from genesis), refused if it belongs to another network, and
 * its blocks are offered to the node's block tree in height order through the normal rules. The
 * first block the rules refuse stops the import with its height and the core error code; what
 * was valid before it stays in the tree (the tree only ever holds valid blocks). Whether the
 * imported line becomes the head is fork choice's call: a lighter archive changes nothing.
 */
import type { AddResult } from '../core/blockTree';
import type { Hash } from '../core/hash';
import type { Block } from '../core/schemas';
import { type ChainArchive, parseArchive } from '../storage';

/** Where the blocks go: normally the participant's addBlock (persistence and events follow). */
export interface ArchiveTarget {
  readonly networkId: Hash;
  add(block: Block): AddResult;
}

export interface ArchiveReplay {
  /** Archive blocks now valid in the tree (newly added or already known). */
  readonly imported: number;
  /** Of those, the ones the tree did not have before. */
  readonly added: number;
}

/** An archive that cannot be imported (or only partly: `imported` blocks before `height`). */
export class ArchiveImportError extends Error {
  override name = 'ArchiveImportError';
  constructor(
    message: string,
    /** The refused block's height, or null when the archive itself was refused. */
    readonly height: number | null = null,
    /** The core error code (BlockErrorCode) or the tree's status that stopped the import. */
    readonly code: string | null = null,
    readonly imported = 0,
  ) {
    super(message);
  }
}

/** Parses an archive for this network; throws ArchiveError (form) or ArchiveImportError. */
export function readArchive(bytes: Uint8Array, networkId: Hash): ChainArchive {
  const archive = parseArchive(bytes);
  if (archive.networkId !== networkId) {
    throw new ArchiveImportError(
      `this archive belongs to another network (${archive.networkId.slice(0, 12)}…), ` +
        `not to the one this node is on (${networkId.slice(0, 12)}…); nothing was imported`,
    );
  }
  return archive;
}

/** Adds the archive's blocks in order; stops at the first one the rules refuse (see above). */
export function replayArchive(archive: ChainArchive, target: ArchiveTarget): ArchiveReplay {
  if (archive.networkId !== target.networkId) {
    throw new ArchiveImportError('this archive belongs to another network; nothing was imported');
  }
  let imported = 0;
  let added = 0;
  for (const block of archive.blocks) {
    const result = target.add(block);
    if (result.status === 'head' || result.status === 'side') {
      imported++;
      added++;
      continue;
    }
    if (result.status === 'duplicate') {
      imported++;
      continue;
    }
    const height = block.header.height;
    const code = result.status === 'invalid' ? result.error.code : result.status;
    const why =
      result.status === 'invalid'
        ? result.error.message
        : `its parent ${result.missingParent.slice(0, 12)}… is unknown`;
    throw new ArchiveImportError(
      `archive block ${height} is invalid (${code}: ${why}); the ${imported} block(s) before it ` +
        'were imported, nothing after it',
      height,
      code,
      imported,
    );
  }
  return { imported, added };
}
