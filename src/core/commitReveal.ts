/**
 * Commit–reveal for optimae: the optimizer first publishes a commitment to its parameters
 * (so nobody can copy them and claim first), then reveals paramsHash + nonce and serves the blob.
 * Expiry is counted in blocks from the commit's base.
 */
import type { KeyPair } from './crypto';
import type { Hash } from './hash';
import {
  commitId,
  commitmentFor,
  signCommit,
  signReveal,
  verifyCommit,
  verifyReveal,
} from './objects';
import type { Commit, NetworkParams, Reveal } from './schemas';

export interface CommitInput {
  readonly domainId: string;
  readonly paramsHash: Hash;
  /** 32 random bytes (hex) from the caller: core takes no entropy of its own. */
  readonly nonce: Hash;
  readonly claimedMetric: number;
  readonly base: { readonly height: number; readonly hash: Hash };
}

/** Signs the commit and the matching reveal together; publish the reveal only after the commit. */
export function prepareCommit(
  input: CommitInput,
  key: KeyPair,
  networkId: Hash,
): { commit: Commit; reveal: Reveal; commitId: Hash } {
  const commit = signCommit(
    {
      domainId: input.domainId,
      optimizer: key.publicKey,
      commitment: commitmentFor(input.paramsHash, input.nonce),
      claimedMetric: input.claimedMetric,
      baseHeight: input.base.height,
      baseHash: input.base.hash,
    },
    key,
    networkId,
  );
  const id = commitId(commit);
  const reveal = signReveal(
    { commitId: id, optimizer: key.publicKey, paramsHash: input.paramsHash, nonce: input.nonce },
    key,
    networkId,
  );
  return { commit, reveal, commitId: id };
}

export type RevealCheck = { ok: true } | { ok: false; error: string };

export function checkReveal(commit: Commit, reveal: Reveal, networkId: Hash): RevealCheck {
  if (!verifyCommit(commit, networkId)) return { ok: false, error: 'bad commit signature' };
  if (reveal.commitId !== commitId(commit))
    return { ok: false, error: 'reveal is for another commit' };
  if (reveal.optimizer !== commit.optimizer) {
    return { ok: false, error: 'reveal signer is not the optimizer' };
  }
  if (!verifyReveal(reveal, networkId)) return { ok: false, error: 'bad reveal signature' };
  if (commitmentFor(reveal.paramsHash, reveal.nonce) !== commit.commitment) {
    return { ok: false, error: 'reveal does not open the commitment' };
  }
  return { ok: true };
}

/** A commit can be included up to commitExpiryBlocks blocks above its base. */
export function isCommitExpired(commit: Commit, height: number, params: NetworkParams): boolean {
  return height - commit.baseHeight > params.quorum.commitExpiryBlocks;
}
