/**
 * doin/1/reveal: opens a known commit. The checks are checkReveal's (core/commitReveal.ts),
 * cheapest first: the commit's own signature was verified when it was accepted, and the reveal
 * is found by its commit id, so what is left is signer, commitment and the reveal's signature.
 */
import { isCommitExpired } from '../../core/commitReveal';
import { commitmentFor, verifyReveal } from '../../core/objects';
import { type Reveal, RevealSchema } from '../../core/schemas';
import type { GossipCaches } from './cache';
import { decodeAs, MAX_GOSSIP_BYTES } from './codec';
import type { GossipContext } from './context';
import { accept, fail, type GossipVerdict } from './verdict';

/**
 * A reveal's gossip id is its commit id: the commitment binds paramsHash and nonce, so a commit
 * has one valid reveal (up to re-signing, which must not let a signer flood the topic).
 */
export const revealGossipId = (reveal: Reveal): string => reveal.commitId;

export function validateReveal(
  data: Uint8Array,
  ctx: GossipContext,
  caches: GossipCaches,
): GossipVerdict<Reveal> {
  const decoded = decodeAs(RevealSchema, data, MAX_GOSSIP_BYTES['doin/1/reveal']);
  if (!decoded.ok) return decoded.failure;
  const reveal = decoded.value;
  const id = revealGossipId(reveal);
  if (caches.reveals.has(id)) return fail('duplicate', `reveal for commit ${id} already seen`);
  const commit = caches.commits.get(reveal.commitId);
  // Gossip may deliver the reveal before its commit, or we joined after the commit.
  if (!commit) {
    return fail('unknown-commit', `commit ${reveal.commitId} is unknown`, reveal.commitId);
  }
  const head = ctx.head().height;
  if (isCommitExpired(commit, head, ctx.params)) {
    return fail('stale', `commit base ${commit.baseHeight} expired at head ${head}`);
  }
  if (reveal.optimizer !== commit.optimizer) {
    return fail('optimizer-mismatch', 'reveal signer is not the commit optimizer');
  }
  if (commitmentFor(reveal.paramsHash, reveal.nonce) !== commit.commitment) {
    return fail('commitment-mismatch', 'reveal does not open the commitment');
  }
  if (!verifyReveal(reveal, ctx.networkId)) {
    return fail('bad-signature', 'reveal signature does not match the optimizer');
  }
  caches.reveals.set(id, reveal);
  return accept(reveal, id);
}
