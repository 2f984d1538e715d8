/**
 * Block building: from a pool of optimae (with their votes) and pending transfers, assemble the
 * block this node would make on top of `state`, or say why it cannot yet. The result is checked
 * with applyBlock before it is returned, so a built block is always one every peer accepts.
 */
import { applyBlock, applyTransfer } from './chain';
import type { KeyPair } from './crypto';
import type { Hash } from './hash';
import { coinbaseOutputs } from './ledger';
import { merkleRoot } from './merkle';
import { optimaeLeaf, signHeader, transactionLeaf } from './objects';
import { assessOptimae, domainById, improvement, type OptimaeAssessment } from './poo';
import { effectiveReputation } from './reputation';
import {
  type AccountState,
  type Block,
  type BlockHeader,
  type ChainState,
  LIMITS,
  type Optimae,
  type Transaction,
  type Transfer,
} from './schemas';

export interface BuildInput {
  readonly state: ChainState;
  readonly generator: KeyPair;
  readonly timestamp: number;
  readonly optimae: readonly Optimae[];
  readonly transfers?: readonly Transfer[];
}

export type BuildResult =
  | { ok: true; block: Block; hash: Hash; assessments: readonly OptimaeAssessment[] }
  | { ok: false; reason: string; incrementSum: number };

export function buildBlock(input: BuildInput): BuildResult {
  const { state, generator, timestamp } = input;
  const params = state.params;
  const height = state.height + 1;
  const bests: Record<string, number> = Object.fromEntries(
    Object.entries(state.domains).map(([id, d]) => [id, d.bestMetric]),
  );
  const used = new Set<Hash>();
  const context = {
    networkId: state.networkId,
    params,
    height,
    recentBlocks: state.recentBlocks,
    isCommitUsed: (id: Hash) => id in state.recentCommits || used.has(id),
    currentBest: (domainId: string) => bests[domainId] as number,
    optimizerReputation: (id: string) => effectiveReputation(state.accounts[id], height, params),
  };

  // First pass against the block's starting bests: keep what is valid at all, then order each
  // domain's optimae from least to most improving, so each one is paid for what it adds.
  const valid: { optimae: Optimae; metric: number }[] = [];
  for (const optimae of input.optimae) {
    const check = assessOptimae(optimae, context);
    if (check.ok) valid.push({ optimae, metric: check.value.verifiedMetric });
  }
  valid.sort((a, b) => {
    const domainA = a.optimae.commit.domainId;
    const domainB = b.optimae.commit.domainId;
    if (domainA !== domainB) return domainA < domainB ? -1 : 1;
    const domain = domainById(params, domainA);
    return domain ? improvement(domain, b.metric, a.metric) : 0;
  });

  const chosen: Optimae[] = [];
  const assessments: OptimaeAssessment[] = [];
  for (const { optimae } of valid) {
    if (chosen.length >= LIMITS.maxOptimaePerBlock) break;
    const check = assessOptimae(optimae, context);
    if (!check.ok) continue;
    chosen.push(optimae);
    assessments.push(check.value);
    used.add(check.value.commitId);
    if (check.value.verdict === 'accepted')
      bests[check.value.domainId] = check.value.verifiedMetric;
  }
  const incrementSum = assessments.reduce((sum, a) => sum + a.increment, 0);
  if (incrementSum < state.threshold) {
    return {
      ok: false,
      reason: `verified increments ${incrementSum} below threshold ${state.threshold}`,
      incrementSum,
    };
  }

  const coinbase: Transaction = {
    type: 'coinbase',
    height,
    outputs: coinbaseOutputs(height, generator.publicKey, assessments, params),
  };
  // Dry-run transfers on a scratch ledger so only ones that apply in this order are included.
  const scratch: Record<string, AccountState> = { ...state.accounts };
  for (const out of coinbase.outputs) {
    const acc = scratch[out.to] ?? {
      balance: 0,
      nonce: 0,
      reputation: 0,
      reputationHeight: height,
    };
    scratch[out.to] = { ...acc, balance: acc.balance + out.amount };
  }
  const transfers: Transfer[] = [];
  const pending = [...(input.transfers ?? [])].sort((a, b) => a.nonce - b.nonce);
  for (const tx of pending) {
    if (transfers.length >= LIMITS.maxTransactionsPerBlock) break;
    if (applyTransfer(tx, scratch, generator.publicKey, state.networkId, height) === null) {
      transfers.push(tx);
    }
  }

  const transactions: Transaction[] = [coinbase, ...transfers];
  const header: BlockHeader = {
    version: 1,
    height,
    prevHash: state.tipHash,
    timestamp,
    generator: generator.publicKey,
    threshold: state.threshold,
    incrementSum,
    optimaeRoot: merkleRoot(chosen.map(optimaeLeaf)),
    txRoot: merkleRoot(transactions.map(transactionLeaf)),
  };
  const block: Block = {
    header,
    signature: signHeader(header, generator, state.networkId),
    optimae: chosen,
    transactions,
  };
  const applied = applyBlock(state, block);
  if (!applied.ok) return { ok: false, reason: applied.error.message, incrementSum };
  return { ok: true, block, hash: applied.hash, assessments: applied.assessments };
}
