/**
 * Hand tools for chain tests: craft optimae with chosen measurements, assemble blocks exactly as
 * given (no filtering, unlike buildBlock), re-seal a modified block, replay a chain. Everything
 * is deterministic: keys from testKey(), hashes from fixed labels, timestamps from the caller.
 */

import { buildBlock, thresholdAt } from '../../src/core/builder';
import { applyBlock } from '../../src/core/chain';
import { prepareCommit } from '../../src/core/commitReveal';
import type { AccountId, KeyPair } from '../../src/core/crypto';
import { type Hash, hashTagged } from '../../src/core/hash';
import { coinbaseOutputs } from '../../src/core/ledger';
import { merkleRoot } from '../../src/core/merkle';
import { optimaeLeaf, signHeader, signVote, transactionLeaf } from '../../src/core/objects';
import {
  checkOptimae,
  judgeOptimae,
  type OptimaeAssessment,
  optimaeContextFor,
} from '../../src/core/poo';
import { selectQuorum } from '../../src/core/quorum';
import { effectiveReputation } from '../../src/core/reputation';
import type {
  Block,
  BlockHeader,
  ChainState,
  Optimae,
  RecentBlock,
  Transaction,
} from '../../src/core/schemas';
import { testKey } from './fixtures';

export const NAMES = ['ada', 'bob', 'cyd', 'dee', 'eve', 'fay', 'gus', 'mallory'] as const;
export type Name = (typeof NAMES)[number];

const keys = new Map<AccountId, KeyPair>(NAMES.map((n) => [testKey(n).publicKey, testKey(n)]));
export const key = (name: Name): KeyPair => testKey(name);

/** The test key behind an account id (every account in these tests is a named test key). */
export function keyOf(id: AccountId): KeyPair {
  const k = keys.get(id);
  if (!k) throw new Error(`no test key for ${id}`);
  return k;
}

export const tip = (state: ChainState): RecentBlock =>
  state.recentBlocks[state.recentBlocks.length - 1] as RecentBlock;

export interface CraftInput {
  /** Distinguishes parameters and nonces: each label is a different candidate. */
  readonly label: string;
  readonly optimizer: KeyPair;
  /** What every voter measures, unless voteMetrics is given. */
  readonly measured: number;
  /** The optimizer's claim; defaults to the measurement (an honest optimizer). */
  readonly claimed?: number;
  readonly voteMetrics?: readonly number[];
  /** Defaults to the state's tip. */
  readonly base?: { readonly height: number; readonly hash: Hash };
  /** Defaults to the quorum members (selected mode) or the first K candidates (open mode). */
  readonly voters?: readonly KeyPair[];
  readonly domainId?: string;
}

/** Voters for a commit: the selected quorum, or the first K non-optimizers for an open one. */
export function quorumVoters(
  state: ChainState,
  base: RecentBlock,
  commitId: Hash,
  optimizer: AccountId,
): KeyPair[] {
  const quorum = selectQuorum(base, commitId, optimizer, state.params);
  if (quorum.mode === 'selected') return quorum.members.map(keyOf);
  return NAMES.filter((n) => n !== 'mallory')
    .map(key)
    .filter((k) => k.publicKey !== optimizer)
    .slice(0, quorum.maxVotes);
}

/** A commit, its reveal and signed votes reporting chosen measurements. */
export function craftOptimae(state: ChainState, input: CraftInput): Optimae {
  const baseRef = input.base ?? { height: state.height, hash: state.tipHash };
  const paramsHash = hashTagged('test/params', input.label);
  const { commit, reveal, commitId } = prepareCommit(
    {
      domainId: input.domainId ?? (state.params.domains[0]?.id as string),
      paramsHash,
      nonce: hashTagged('test/nonce', input.label),
      claimedMetric: input.claimed ?? input.measured,
      base: baseRef,
    },
    input.optimizer,
    state.networkId,
  );
  const base = state.recentBlocks.find((b) => b.height === baseRef.height) ?? tip(state);
  const voters = input.voters ?? quorumVoters(state, base, commitId, input.optimizer.publicKey);
  const votes = voters.map((voter, i) =>
    signVote(
      {
        commitId,
        paramsHash,
        evaluator: voter.publicKey,
        metric: input.voteMetrics?.[i] ?? input.measured,
      },
      voter,
      state.networkId,
    ),
  );
  return { commit, reveal, votes };
}

export interface Assembled {
  readonly block: Block;
  readonly assessments: readonly OptimaeAssessment[];
}

/**
 * A block with exactly these optimae and transfers, in this order, with the header fields and
 * coinbase computed as applyBlock expects for the optimae that do check out. Unlike buildBlock
 * nothing is dropped or validated, so a test can put one precise fault into an otherwise
 * correct block.
 */
export function assembleBlock(
  state: ChainState,
  generator: KeyPair,
  timestamp: number,
  optimae: readonly Optimae[],
  transfers: readonly Transaction[] = [],
): Assembled {
  const params = state.params;
  const height = state.height + 1;
  const bests: Record<string, number> = Object.fromEntries(
    Object.entries(state.domains).map(([id, d]) => [id, d.bestMetric]),
  );
  const used = new Set<Hash>();
  const assessments: OptimaeAssessment[] = [];
  for (const o of optimae) {
    const check = checkOptimae(o, optimaeContextFor(state, used, timestamp));
    if (!check.ok) continue;
    used.add(check.value.commitId);
    const rep = effectiveReputation(state.accounts[check.value.optimizer], height, params);
    const a = judgeOptimae(check.value, bests[check.value.domain.id] as number, rep, params);
    if (a.verdict === 'accepted') bests[a.domainId] = a.verifiedMetric;
    assessments.push(a);
  }
  const transactions: Transaction[] = [
    {
      type: 'coinbase',
      height,
      outputs: coinbaseOutputs(height, generator.publicKey, assessments, params),
    },
    ...transfers,
  ];
  const header: BlockHeader = {
    version: 1,
    height,
    prevHash: state.tipHash,
    timestamp,
    generator: generator.publicKey,
    threshold: thresholdAt(state, timestamp),
    incrementSum: assessments.reduce((s, a) => s + a.increment, 0),
    optimaeRoot: merkleRoot(optimae.map(optimaeLeaf)),
    txRoot: merkleRoot(transactions.map(transactionLeaf)),
  };
  return {
    block: {
      header,
      signature: signHeader(header, generator, state.networkId),
      optimae: [...optimae],
      transactions,
    },
    assessments,
  };
}

/**
 * A modified copy of a block, re-signed by `signer` (default: the header's generator). With
 * `roots` the merkle roots are recomputed first, so the header commits to the modified body.
 */
export function reseal(
  block: Block,
  networkId: Hash,
  modify: (b: Block) => void,
  options: { roots?: boolean; signer?: KeyPair } = {},
): Block {
  const copy = structuredClone(block);
  modify(copy);
  if (options.roots ?? true) {
    copy.header.optimaeRoot = merkleRoot(copy.optimae.map(optimaeLeaf));
    copy.header.txRoot = merkleRoot(copy.transactions.map(transactionLeaf));
  }
  copy.signature = signHeader(
    copy.header,
    options.signer ?? keyOf(copy.header.generator),
    networkId,
  );
  return copy;
}

/** States after each block, starting with `start`; throws if any block is refused. */
export function replay(start: ChainState, blocks: readonly Block[]): ChainState[] {
  const states = [start];
  for (const block of blocks) {
    const result = applyBlock(states[states.length - 1] as ChainState, block);
    if (!result.ok) throw new Error(`block ${block.header.height}: ${result.error.message}`);
    states.push(result.state);
  }
  return states;
}

/** A block made on a parent, with its hash and the state after it. */
export interface Made {
  readonly block: Block;
  readonly hash: Hash;
  readonly state: ChainState;
}

/**
 * One valid block on `parent`, `elapsedMs` after it, by `generator`, carrying one optimae by
 * `optimizer` that brings the first domain's best down by `factor` (built and applied with the
 * real rules; throws if either refuses).
 */
export function extend(
  parent: { state: ChainState },
  label: string,
  optimizer: Name,
  generator: Name,
  elapsedMs: number,
  factor = 0.5,
): Made {
  const state = parent.state;
  const domainId = state.params.domains[0]?.id as string;
  const optimae = craftOptimae(state, {
    label,
    optimizer: key(optimizer),
    measured: (state.domains[domainId]?.bestMetric as number) * factor,
  });
  const timestamp = (state.recentBlocks[state.recentBlocks.length - 1]?.timestamp ?? 0) + elapsedMs;
  const built = buildBlock({ state, generator: key(generator), timestamp, optimae: [optimae] });
  if (!built.ok) throw new Error(`${label}: ${built.reason}`);
  const applied = applyBlock(state, built.block);
  if (!applied.ok) throw new Error(`${label}: ${applied.error.message}`);
  return { block: built.block, hash: built.hash, state: applied.state };
}
