/**
 * Chain archives: a profile's main chain (and, if asked, its identity) as one file, so a user
 * can back up or move a node. The bytes are deterministic CBOR (encodeCanonical) of
 *   { format: 'doin-archive', version: 1, networkId, blocks, identity? }
 * with the main-chain blocks from height 1 in order (genesis derives from the network
 * parameters) and the identity as the 32-byte seed in hex.
 *
 * parseArchive checks the form only: canonical CBOR, the schema with size limits, and that the
 * blocks form one line from genesis (heights 1, 2, … and each prevHash the hash of the block
 * before). It writes nothing and does not check signatures or rules: the node must replay the
 * blocks with the normal rules (BlockTree.add / applyBlock from genesis) and only then commit
 * them (ChainStore.commitHead) and, if wanted, the identity (saveIdentity). A block tampered with
 * in a way that keeps the line intact (its body or signature) is refused there.
 */
import * as v from 'valibot';
import {
  bytesToHex,
  decodeCanonical,
  EncodingError,
  encodeCanonical,
  hexToBytes,
} from '../core/encoding';
import type { Hash } from '../core/hash';
import { blockHash } from '../core/objects';
import { type Block, BlockSchema, HashSchema, parse } from '../core/schemas';
import { ArchiveError } from './errors';

export const ARCHIVE_FORMAT = 'doin-archive';
export const ARCHIVE_VERSION = 1;

export const ARCHIVE_LIMITS = {
  /** Larger files are refused before decoding (a browser has to hold them in memory). */
  maxBytes: 256 * 1024 * 1024,
  maxBlocks: 1_000_000,
} as const;

export interface ChainArchive {
  readonly networkId: Hash;
  readonly blocks: readonly Block[];
  /** The Ed25519 seed of the exporting identity, only when it was asked for. */
  readonly identitySeed?: Uint8Array;
}

const ArchiveSchema = v.strictObject({
  format: v.literal(ARCHIVE_FORMAT),
  version: v.literal(ARCHIVE_VERSION),
  networkId: HashSchema,
  blocks: v.pipe(v.array(BlockSchema), v.maxLength(ARCHIVE_LIMITS.maxBlocks)),
  identity: v.optional(
    v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'expected a 32-byte seed as lowercase hex')),
  ),
});

export function encodeArchive(archive: ChainArchive): Uint8Array {
  const value: Record<string, unknown> = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    networkId: archive.networkId,
    blocks: archive.blocks,
  };
  if (archive.identitySeed !== undefined) {
    if (!(archive.identitySeed instanceof Uint8Array) || archive.identitySeed.length !== 32) {
      throw new ArchiveError('the identity seed must be 32 bytes');
    }
    value.identity = bytesToHex(archive.identitySeed);
  }
  // The same checks as on reading, so every archive written here can be read back.
  checkArchive(value);
  const bytes = encodeCanonical(value);
  if (bytes.length > ARCHIVE_LIMITS.maxBytes) {
    throw new ArchiveError(`the archive would be ${bytes.length} bytes, over the limit`);
  }
  return bytes;
}

/** Decodes and checks an archive (see the module comment); throws ArchiveError, writes nothing. */
export function parseArchive(
  bytes: Uint8Array,
  options: { readonly maxBytes?: number } = {},
): ChainArchive {
  if (!(bytes instanceof Uint8Array)) throw new ArchiveError('an archive must be bytes');
  const maxBytes = options.maxBytes ?? ARCHIVE_LIMITS.maxBytes;
  if (bytes.length > maxBytes) {
    throw new ArchiveError(`the archive is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  }
  let value: unknown;
  try {
    value = decodeCanonical(bytes);
  } catch (err) {
    if (err instanceof EncodingError) {
      throw new ArchiveError(`not a doin archive (damaged or not CBOR): ${err.message}`);
    }
    throw err;
  }
  return checkArchive(value);
}

function checkArchive(value: unknown): ChainArchive {
  const shape = value as { format?: unknown; version?: unknown } | null;
  if (typeof shape !== 'object' || shape === null || shape.format !== ARCHIVE_FORMAT) {
    throw new ArchiveError('not a doin archive');
  }
  if (shape.version !== ARCHIVE_VERSION) {
    throw new ArchiveError(`archive version ${String(shape.version)} is not supported`);
  }
  const parsed = parse(ArchiveSchema, value);
  if (!parsed.ok) throw new ArchiveError(`malformed archive: ${parsed.error}`);
  const { networkId, blocks, identity } = parsed.value;
  let prev = networkId; // the genesis hash is the network id
  for (const [i, block] of blocks.entries()) {
    if (block.header.height !== i + 1 || block.header.prevHash !== prev) {
      throw new ArchiveError(
        `archive block ${i + 1} does not follow the one before it: the archive was tampered ` +
          'with, is incomplete, or belongs to another network',
      );
    }
    prev = blockHash(block.header);
  }
  return identity === undefined
    ? { networkId, blocks }
    : { networkId, blocks, identitySeed: hexToBytes(identity) };
}
