/**
 * doin/1/tx: signed transfers for the mempool. A coinbase only exists inside a block, so one on
 * its own is refused. Balance is left to block building: it changes with every block, while a
 * nonce window already bounds how much one sender can make us hold.
 */
import { hashTagged } from '../../core/hash';
import { verifyTransfer } from '../../core/objects';
import { TransactionSchema, type Transfer } from '../../core/schemas';
import type { GossipCaches } from './cache';
import { decodeAs, MAX_GOSSIP_BYTES } from './codec';
import type { GossipContext } from './context';
import { accept, fail, type GossipVerdict } from './verdict';

/** How far past the sender's next nonce a transfer may be and still be gossiped. */
export const MAX_NONCE_AHEAD = 64;

export interface TxValidationOptions {
  readonly maxNonceAhead?: number;
}

/**
 * One transfer per sender and nonce, first seen wins: only one of them can ever apply, and it
 * keeps a sender from flooding the topic with variants (no replace-by-fee over gossip).
 */
export const transferGossipId = (tx: Transfer): string =>
  hashTagged('doin/1/gossip-tx', [tx.from, tx.nonce]);

export function validateTransfer(
  data: Uint8Array,
  ctx: GossipContext,
  caches: GossipCaches,
  options: TxValidationOptions = {},
): GossipVerdict<Transfer> {
  const decoded = decodeAs(TransactionSchema, data, MAX_GOSSIP_BYTES['doin/1/tx']);
  if (!decoded.ok) return decoded.failure;
  const tx = decoded.value;
  if (tx.type === 'coinbase') return fail('coinbase', 'a coinbase is never gossiped');
  if (tx.from === tx.to) return fail('self-transfer', 'transfer to self');
  const id = transferGossipId(tx);
  if (caches.transfers.has(id)) {
    return fail('duplicate', `a transfer by ${tx.from} with nonce ${tx.nonce} was already seen`);
  }
  const next = ctx.accountNonce(tx.from);
  if (tx.nonce < next) return fail('nonce-too-old', `nonce ${tx.nonce}, account is at ${next}`);
  const ahead = options.maxNonceAhead ?? MAX_NONCE_AHEAD;
  if (tx.nonce > next + ahead) {
    return fail('nonce-too-far', `nonce ${tx.nonce} is more than ${ahead} past ${next}`);
  }
  if (!verifyTransfer(tx, ctx.networkId)) {
    return fail('bad-signature', 'transfer signature does not match the sender');
  }
  caches.transfers.add(id);
  return accept(tx, id);
}
