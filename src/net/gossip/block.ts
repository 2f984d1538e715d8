/**
 * doin/1/block: cheap checks first (size, schema, seen, clock, depth, header signature, body
 * roots), then full validation by importing into the chain. A block is forwarded only once it
 * connected to our tree as the head or a side branch; an orphan waits in the tree while the
 * caller syncs.
 */
import { merkleRoot } from '../../core/merkle';
import { blockHash, optimaeLeaf, transactionLeaf, verifyHeader } from '../../core/objects';
import { type Block, BlockSchema } from '../../core/schemas';
import type { GossipCaches } from './cache';
import { decodeAs, MAX_GOSSIP_BYTES } from './codec';
import type { GossipContext } from './context';
import { accept, fail, type GossipVerdict } from './verdict';

/**
 * Blocks more than this many heights below our head are ignored without import: a branch that
 * deep cannot plausibly overtake the head, and replaying it would cost us the most.
 */
export const STALE_BLOCK_DEPTH = 64;

export interface BlockValidationOptions {
  readonly staleDepth?: number;
}

export const blockGossipId = (block: Block): string => blockHash(block.header);

export function validateBlock(
  data: Uint8Array,
  ctx: GossipContext,
  caches: GossipCaches,
  options: BlockValidationOptions = {},
): GossipVerdict<Block> {
  const decoded = decodeAs(BlockSchema, data, MAX_GOSSIP_BYTES['doin/1/block']);
  if (!decoded.ok) return decoded.failure;
  const block = decoded.value;
  const { header } = block;
  const hash = blockGossipId(block);
  if (caches.blocks.has(hash) || ctx.blockHeight(hash) !== undefined) {
    return fail('duplicate', `block ${hash} already known`);
  }
  const drift = ctx.params.time.maxFutureDriftMs;
  const now = ctx.now();
  // Our clock's verdict, not the block's: it may be valid a few seconds from now.
  if (header.timestamp > now + drift) {
    return fail('future', `timestamp ${header.timestamp} is more than ${drift} ms after ${now}`);
  }
  const head = ctx.head().height;
  const depth = options.staleDepth ?? STALE_BLOCK_DEPTH;
  if (header.height + depth < head) {
    return fail('stale', `height ${header.height} is more than ${depth} below head ${head}`);
  }
  if (!verifyHeader(header, block.signature, ctx.networkId, header.generator)) {
    return fail('bad-signature', 'block signature does not match the generator');
  }
  // The header (and so the hash) commits to the body only through these roots. Checked here,
  // before import, because the chain remembers refused blocks by header hash: a genuine header
  // relayed with a tampered body must not get the real block refused (or held as an orphan).
  if (merkleRoot(block.optimae.map(optimaeLeaf)) !== header.optimaeRoot) {
    return fail('invalid-block', 'optimae-root: optimae merkle root mismatch');
  }
  if (merkleRoot(block.transactions.map(transactionLeaf)) !== header.txRoot) {
    return fail('invalid-block', 'tx-root: transaction merkle root mismatch');
  }
  const result = ctx.importBlock(block);
  switch (result.status) {
    case 'head':
    case 'side':
      caches.blocks.add(hash);
      return accept(block, hash);
    case 'duplicate':
      // Already held, e.g. as an orphan that arrived by sync or from another peer.
      return fail('duplicate', `block ${hash} already known`);
    case 'orphan':
      return fail(
        'orphan-block',
        `parent ${result.missingParent} is unknown`,
        result.missingParent,
      );
    case 'invalid':
      if (result.error.code === 'timestamp-future') return fail('future', result.error.message);
      return fail('invalid-block', `${result.error.code}: ${result.error.message}`);
  }
}
