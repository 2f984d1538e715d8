/**
 * doin/1/commit: a signed commitment to parameters not yet shown. Accepted commits are
 * remembered: reveals and votes are only meaningful for a commit we know.
 */
import { isCommitExpired } from '../../core/commitReveal';
import { commitId, verifyCommit } from '../../core/objects';
import { type Commit, CommitSchema } from '../../core/schemas';
import type { GossipCaches } from './cache';
import { decodeAs, MAX_GOSSIP_BYTES } from './codec';
import type { GossipContext } from './context';
import { accept, fail, type GossipVerdict } from './verdict';

/** A commit's gossip id is its commit id (the hash of the unsigned body). */
export const commitGossipId = (commit: Commit): string => commitId(commit);

export function validateCommit(
  data: Uint8Array,
  ctx: GossipContext,
  caches: GossipCaches,
): GossipVerdict<Commit> {
  const decoded = decodeAs(CommitSchema, data, MAX_GOSSIP_BYTES['doin/1/commit']);
  if (!decoded.ok) return decoded.failure;
  const commit = decoded.value;
  const id = commitGossipId(commit);
  if (caches.commits.has(id)) return fail('duplicate', `commit ${id} already seen`);
  if (!ctx.params.domains.some((d) => d.id === commit.domainId)) {
    return fail('unknown-domain', `no domain ${commit.domainId} on this network`);
  }
  const baseHeight = ctx.blockHeight(commit.baseHash);
  // Unknown base: we may be behind (or it is on a branch we never saw). Not the sender's fault.
  if (baseHeight === undefined) {
    return fail('unknown-base', `base block ${commit.baseHash} is unknown`, commit.baseHash);
  }
  // Heights follow from the chain's structure, so a known hash has exactly one height.
  if (baseHeight !== commit.baseHeight) {
    return fail(
      'base-mismatch',
      `base is at height ${baseHeight}, commit says ${commit.baseHeight}`,
    );
  }
  const head = ctx.head().height;
  if (isCommitExpired(commit, head, ctx.params)) {
    return fail('stale', `commit base ${commit.baseHeight} expired at head ${head}`);
  }
  if (!verifyCommit(commit, ctx.networkId)) {
    return fail('bad-signature', 'commit signature does not match the optimizer');
  }
  caches.commits.set(id, commit);
  return accept(commit, id);
}
