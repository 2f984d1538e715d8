/**
 * doin/1/vote: an evaluator's measurement of a revealed candidate. Quorum membership and vote
 * agreement are the block validator's job (they need the base block's state); gossip checks
 * what it can from the commit and reveal it knows.
 */
import { isCommitExpired } from '../../core/commitReveal';
import { hashConcatHex } from '../../core/hash';
import { verifyVote } from '../../core/objects';
import { type Vote, VoteSchema } from '../../core/schemas';
import type { GossipCaches } from './cache';
import { decodeAs, MAX_GOSSIP_BYTES } from './codec';
import type { GossipContext } from './context';
import { accept, fail, type GossipVerdict } from './verdict';

/**
 * One vote per evaluator per commit: the id is hash(commitId ‖ evaluator), so a second, different
 * vote by the same evaluator (equivocation, or a re-signed copy) is ignored rather than forwarded.
 */
export const voteGossipId = (vote: Vote): string =>
  hashConcatHex('doin/1/gossip-vote', vote.commitId, vote.evaluator);

export function validateVote(
  data: Uint8Array,
  ctx: GossipContext,
  caches: GossipCaches,
): GossipVerdict<Vote> {
  const decoded = decodeAs(VoteSchema, data, MAX_GOSSIP_BYTES['doin/1/vote']);
  if (!decoded.ok) return decoded.failure;
  const vote = decoded.value;
  const id = voteGossipId(vote);
  if (caches.votes.has(id)) {
    return fail('duplicate', `a vote by ${vote.evaluator} on ${vote.commitId} was already seen`);
  }
  const commit = caches.commits.get(vote.commitId);
  if (!commit) return fail('unknown-commit', `commit ${vote.commitId} is unknown`, vote.commitId);
  const head = ctx.head().height;
  if (isCommitExpired(commit, head, ctx.params)) {
    return fail('stale', `commit base ${commit.baseHeight} expired at head ${head}`);
  }
  if (vote.evaluator === commit.optimizer) {
    return fail('self-vote', 'the optimizer cannot vote on its own commit');
  }
  // Before the reveal arrives we cannot tell; once it is known, a vote must be on its params.
  const reveal = caches.reveals.get(vote.commitId);
  if (reveal && reveal.paramsHash !== vote.paramsHash) {
    return fail('params-mismatch', 'vote is on other parameters than the reveal');
  }
  if (!verifyVote(vote, ctx.networkId)) {
    return fail('bad-signature', 'vote signature does not match the evaluator');
  }
  caches.votes.add(id);
  return accept(vote, id);
}
