/**
 * The chain view the gossip validators need, and nothing more, so they can be tested against an
 * in-memory chain and wired to the real node without knowing how either stores blocks.
 */
import type { AddResult, BlockTree } from '../../core/blockTree';
import type { Hash } from '../../core/hash';
import type { Block, NetworkParams } from '../../core/schemas';

export interface GossipContext {
  /** Signatures cover the network id: objects signed for another network are rejected. */
  readonly networkId: Hash;
  /** Fixed per network: domains, commit expiry, allowed clock drift. */
  readonly params: NetworkParams;
  /** Local wall clock, ms. */
  now(): number;
  head(): { height: number; hash: Hash };
  /** Height of any connected block (main chain or side branch); undefined if unknown. */
  blockHeight(hash: Hash): number | undefined;
  /** The next transfer nonce expected from this account on the head state (0 if unknown). */
  accountNonce(account: string): number;
  /** Full validation and import against the chain (BlockTree.add with `now`). May reorg. */
  importBlock(block: Block): AddResult;
}

/** A GossipContext over a core BlockTree: what the node and the tests both use. */
export function blockTreeContext(tree: BlockTree, now: () => number = Date.now): GossipContext {
  const { networkId, params } = tree.state;
  return {
    networkId,
    params,
    now,
    head: () => ({ height: tree.head.height, hash: tree.head.hash }),
    blockHeight: (hash) => tree.getBlock(hash)?.header.height,
    accountNonce: (account) => tree.state.accounts[account]?.nonce ?? 0,
    importBlock: (block) => tree.add(block, { now: now() }),
  };
}
