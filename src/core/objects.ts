/**
 * Ids, signing and signature checks for every signed object. A signed object is its body plus
 * a `signature` field; the signature covers the tagged canonical body (see crypto.ts).
 */
import { type AccountId, type KeyPair, signBody, signingBytes, verifyBody } from './crypto';
import { type Hash, hashConcatHex, hashTagged } from './hash';
import type {
  Block,
  BlockHeader,
  Commit,
  CommitBody,
  Optimae,
  Reveal,
  RevealBody,
  Transaction,
  Transfer,
  TransferBody,
  Vote,
  VoteBody,
} from './schemas';

export const TAGS = {
  commit: 'doin/1/commit',
  reveal: 'doin/1/reveal',
  vote: 'doin/1/vote',
  transfer: 'doin/1/transfer',
  block: 'doin/1/block',
  commitment: 'doin/1/commitment',
  quorum: 'doin/1/quorum',
  evalSeed: 'doin/1/eval-seed',
  optimaeLeaf: 'doin/1/optimae',
  txLeaf: 'doin/1/tx',
  params: 'doin/1/network-params',
} as const;

function withoutSignature<T extends { signature: string }>(signed: T): Omit<T, 'signature'> {
  const { signature: _signature, ...body } = signed;
  return body;
}

export const commitId = (commit: CommitBody | Commit): Hash =>
  hashTagged(TAGS.commit, 'signature' in commit ? withoutSignature(commit) : commit);
export const blockHash = (header: BlockHeader): Hash => hashTagged(TAGS.block, header);
export const optimaeLeaf = (optimae: Optimae): Hash => hashTagged(TAGS.optimaeLeaf, optimae);
export const transactionLeaf = (tx: Transaction): Hash => hashTagged(TAGS.txLeaf, tx);

/** commitment = sha256(tag ‖ paramsHash ‖ nonce): binds the parameters without showing them. */
export const commitmentFor = (paramsHash: Hash, nonce: Hash): Hash =>
  hashConcatHex(TAGS.commitment, paramsHash, nonce);

export function signCommit(body: CommitBody, key: KeyPair, networkId: Hash): Commit {
  return { ...body, signature: signBody(TAGS.commit, networkId, body, key) };
}
export function signReveal(body: RevealBody, key: KeyPair, networkId: Hash): Reveal {
  return { ...body, signature: signBody(TAGS.reveal, networkId, body, key) };
}
export function signVote(body: VoteBody, key: KeyPair, networkId: Hash): Vote {
  return { ...body, signature: signBody(TAGS.vote, networkId, body, key) };
}
export function signTransfer(body: TransferBody, key: KeyPair, networkId: Hash): Transfer {
  return { ...body, signature: signBody(TAGS.transfer, networkId, body, key) };
}
export function signHeader(header: BlockHeader, key: KeyPair, networkId: Hash): string {
  return signBody(TAGS.block, networkId, header, key);
}

export const verifyCommit = (c: Commit, networkId: Hash): boolean =>
  verifyBody(TAGS.commit, networkId, withoutSignature(c), c.signature, c.optimizer);
export const verifyReveal = (r: Reveal, networkId: Hash): boolean =>
  verifyBody(TAGS.reveal, networkId, withoutSignature(r), r.signature, r.optimizer);
export const verifyVote = (vote: Vote, networkId: Hash): boolean =>
  verifyBody(TAGS.vote, networkId, withoutSignature(vote), vote.signature, vote.evaluator);
export const verifyTransfer = (t: Transfer, networkId: Hash): boolean =>
  verifyBody(TAGS.transfer, networkId, withoutSignature(t), t.signature, t.from);
export const verifyHeader = (
  header: BlockHeader,
  signature: string,
  networkId: Hash,
  signer: AccountId,
): boolean => verifyBody(TAGS.block, networkId, header, signature, signer);

/** One signature to check: who signed which exact bytes. */
export interface SignedMessage {
  readonly signature: string;
  readonly signer: AccountId;
  readonly message: Uint8Array;
}

/**
 * Every signature a block carries (header, commits, reveals, votes, transfers) with the bytes
 * each covers, so a caller can check them in a batch with a native verifier ahead of applyBlock.
 */
export function blockSignatures(block: Block, networkId: Hash): SignedMessage[] {
  const out: SignedMessage[] = [
    {
      signature: block.signature,
      signer: block.header.generator,
      message: signingBytes(TAGS.block, networkId, block.header),
    },
  ];
  const add = (tag: string, signed: { signature: string }, signer: AccountId) =>
    out.push({
      signature: signed.signature,
      signer,
      message: signingBytes(tag, networkId, withoutSignature(signed)),
    });
  for (const o of block.optimae) {
    add(TAGS.commit, o.commit, o.commit.optimizer);
    add(TAGS.reveal, o.reveal, o.reveal.optimizer);
    for (const vote of o.votes) add(TAGS.vote, vote, vote.evaluator);
  }
  for (const tx of block.transactions) {
    if (tx.type === 'transfer') add(TAGS.transfer, tx, tx.from);
  }
  return out;
}
