/**
 * Block building: from a pool of optimae (with their votes) and pending transfers, assemble the
 * block this node would make on top of `state` at `timestamp`, or say why it cannot yet. The
 * result is checked with applyBlock before it is returned, so a built block is one every peer
 * accepts.
 */
import { applyBlock, applyTransfer, coinbaseFor, creditCoinbase } from './chain';
import type { KeyPair } from './crypto';
import type { Hash } from './hash';
import { merkleRoot } from './merkle';
import { optimaeLeaf, signHeader, transactionLeaf } from './objects';
import {
  type CheckedOptimae,
  checkOptimae,
  improvement,
  judgeOptimae,
  type OptimaeAssessment,
  optimaeContextFor,
} from './poo';
import { effectiveReputation } from './reputation';
import {
  type AccountState,
  type Block,
  type BlockHeader,
  type ChainState,
  LIMITS,
  type Optimae,
  parse,
  type Transaction,
  type Transfer,
  TransferSchema,
} from './schemas';
import { requiredThreshold } from './threshold';

export interface BuildInput {
  readonly state: ChainState;
  readonly generator: KeyPair;
  readonly timestamp: number;
  readonly optimae: readonly Optimae[];
  readonly transfers?: readonly Transfer[];
}

export type BuildResult =
  | { ok: true; block: Block; hash: Hash; assessments: readonly OptimaeAssessment[] }
  | { ok: false; reason: string; incrementSum: number; threshold: number };

/** The threshold a block made now would have to reach. */
export function thresholdAt(state: ChainState, timestamp: number): number {
  const parent = state.recentBlocks[state.recentBlocks.length - 1];
  return requiredThreshold(state.threshold, timestamp - (parent?.timestamp ?? 0), state.params);
}

export function buildBlock(input: BuildInput): BuildResult {
  const { state, generator, timestamp } = input;
  const params = state.params;
  const height = state.height + 1;
  const threshold = thresholdAt(state, timestamp);

  // Check each candidate once; drop duplicates and anything not valid on this chain.
  const checked: { optimae: Optimae; value: CheckedOptimae }[] = [];
  const seen = new Set<Hash>();
  for (const optimae of input.optimae) {
    const check = checkOptimae(optimae, optimaeContextFor(state, seen, timestamp));
    if (!check.ok) continue;
    seen.add(check.value.commitId);
    checked.push({ optimae, value: check.value });
  }
  // Each domain's optimae from least to most improving, so each is paid for what it adds.
  checked.sort((a, b) => {
    const domainA = a.value.domain.id;
    const domainB = b.value.domain.id;
    if (domainA !== domainB) return domainA < domainB ? -1 : 1;
    return improvement(a.value.domain, b.value.agreement.median, a.value.agreement.median);
  });

  const bests: Record<string, number> = Object.fromEntries(
    Object.entries(state.domains).map(([id, d]) => [id, d.bestMetric]),
  );
  const chosen = checked.slice(0, LIMITS.maxOptimaePerBlock);
  const assessments = chosen.map(({ value }) => {
    const reputation = effectiveReputation(state.accounts[value.optimizer], height, params);
    const a = judgeOptimae(value, bests[value.domain.id] as number, reputation, params);
    if (a.verdict === 'accepted') bests[a.domainId] = a.verifiedMetric;
    return a;
  });
  const incrementSum = assessments.reduce((sum, a) => sum + a.increment, 0);
  if (incrementSum < threshold) {
    return {
      ok: false,
      reason: `verified increments ${incrementSum} below threshold ${threshold}`,
      incrementSum,
      threshold,
    };
  }

  const coinbase = coinbaseFor(height, generator.publicKey, assessments, params);
  // Dry-run transfers on a scratch ledger so only ones that apply in this order are included.
  const scratch: Record<string, AccountState> = { ...state.accounts };
  creditCoinbase(scratch, coinbase, height);
  const transfers: Transfer[] = [];
  const pending = (input.transfers ?? [])
    .filter((tx) => parse(TransferSchema, tx).ok)
    .sort((a, b) => a.nonce - b.nonce);
  for (const tx of pending) {
    if (transfers.length >= LIMITS.maxTransactionsPerBlock) break;
    if (applyTransfer(tx, scratch, generator.publicKey, state.networkId, height) === null) {
      transfers.push(tx);
    }
  }

  const optimae = chosen.map((c) => c.optimae);
  const block = sealBlock(state, generator, { timestamp, threshold, incrementSum }, optimae, [
    coinbase,
    ...transfers,
  ]);
  const applied = applyBlock(state, block);
  if (!applied.ok) return { ok: false, reason: applied.error.message, incrementSum, threshold };
  return { ok: true, block, hash: applied.hash, assessments: applied.assessments };
}

/**
 * The block on top of `state` with this body: a version-1 header with the given timestamp,
 * threshold and increment sum and the body's merkle roots, signed by the generator for this
 * network. Nothing is checked; buildBlock and buildDevChain both assemble blocks here.
 */
export function sealBlock(
  state: ChainState,
  generator: KeyPair,
  claims: Pick<BlockHeader, 'timestamp' | 'threshold' | 'incrementSum'>,
  optimae: Optimae[],
  transactions: Transaction[],
): Block {
  const header: BlockHeader = {
    version: 1,
    height: state.height + 1,
    prevHash: state.tipHash,
    timestamp: claims.timestamp,
    generator: generator.publicKey,
    threshold: claims.threshold,
    incrementSum: claims.incrementSum,
    optimaeRoot: merkleRoot(optimae.map(optimaeLeaf)),
    txRoot: merkleRoot(transactions.map(transactionLeaf)),
  };
  return {
    header,
    signature: signHeader(header, generator, state.networkId),
    optimae,
    transactions,
  };
}
