/**
 * The chain state machine: applyBlock(state, block) checks everything a block claims and
 * returns the next state or a precise error. It never throws on bad input and never mutates
 * the state it was given.
 */
import type { AccountId } from './crypto';
import { encodeCanonical, equalBytes } from './encoding';
import type { Hash } from './hash';
import { blockReward, checkTransfer, coinbaseOutputs, emptyAccount } from './ledger';
import { merkleRoot } from './merkle';
import { blockHash, optimaeLeaf, transactionLeaf, verifyHeader, verifyTransfer } from './objects';
import { checkOptimae, judgeOptimae, type OptimaeAssessment, optimaeContextFor } from './poo';
import { effectiveReputation } from './reputation';
import {
  type AccountState,
  type Block,
  BlockSchema,
  type ChainState,
  type Coinbase,
  type DomainState,
  LIMITS,
  type NetworkParams,
  parse,
  type RecentBlock,
  type Transfer,
} from './schemas';
import { nextThreshold, requiredThreshold } from './threshold';

export type BlockErrorCode =
  | 'schema'
  | 'height'
  | 'prev-hash'
  | 'signature'
  | 'timestamp-past'
  | 'timestamp-future'
  | 'threshold'
  | 'optimae-root'
  | 'tx-root'
  | 'optimae'
  | 'increment-sum'
  | 'below-threshold'
  | 'coinbase'
  | 'transaction';

export interface BlockError {
  readonly code: BlockErrorCode;
  readonly message: string;
}

export type ApplyResult =
  | {
      readonly ok: true;
      readonly state: ChainState;
      readonly hash: Hash;
      readonly assessments: readonly OptimaeAssessment[];
    }
  | { readonly ok: false; readonly error: BlockError };

export interface ApplyOptions {
  /** Local clock (ms). When given, blocks too far in the future are refused. */
  readonly now?: number;
}

const fail = (code: BlockErrorCode, message: string): ApplyResult => ({
  ok: false,
  error: { code, message },
});

/** Median of the recent block timestamps: a new block must be later than this. */
export function medianTimePast(state: ChainState): number {
  const span = state.params.time.medianSpan;
  const times = state.recentBlocks
    .slice(-span)
    .map((b) => b.timestamp)
    .sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

export const recentBlockWindow = (params: NetworkParams): number =>
  Math.max(params.quorum.commitExpiryBlocks + 1, params.time.medianSpan);

/**
 * Whether a block's signature and body are bound to its header: the generator signed this
 * header (for this network), and the merkle roots in it match the optimae and transactions.
 * The block hash covers the header only, so two copies that share a hash are the same block
 * only if both pass this; a verdict may be remembered by hash only for a block that does.
 */
export function checkBlockBinding(block: Block, networkId: Hash): BlockError | null {
  const { header } = block;
  if (!verifyHeader(header, block.signature, networkId, header.generator)) {
    return { code: 'signature', message: 'block signature does not match the generator' };
  }
  if (merkleRoot(block.optimae.map(optimaeLeaf)) !== header.optimaeRoot) {
    return { code: 'optimae-root', message: 'optimae merkle root mismatch' };
  }
  if (merkleRoot(block.transactions.map(transactionLeaf)) !== header.txRoot) {
    return { code: 'tx-root', message: 'transaction merkle root mismatch' };
  }
  return null;
}

export function applyBlock(
  state: ChainState,
  input: unknown,
  options: ApplyOptions = {},
): ApplyResult {
  const parsed = parse(BlockSchema, input);
  if (!parsed.ok) return fail('schema', parsed.error);
  return applyParsed(state, parsed.value, options, false);
}

/**
 * applyBlock for a block that is already parsed (BlockSchema) and has passed
 * checkBlockBinding for this state's network: the signature and merkle roots are not checked
 * again. BlockTree does both once per block before it connects or replays it.
 */
export function applyBoundBlock(
  state: ChainState,
  block: Block,
  options: ApplyOptions = {},
): ApplyResult {
  return applyParsed(state, block, options, true);
}

function applyParsed(
  state: ChainState,
  block: Block,
  options: ApplyOptions,
  bound: boolean,
): ApplyResult {
  const { header } = block;
  const params = state.params;
  const height = state.height + 1;

  if (header.height !== height)
    return fail('height', `height ${header.height}, expected ${height}`);
  if (header.prevHash !== state.tipHash) return fail('prev-hash', 'block does not extend the tip');
  // Signature first (after the cheap position checks), the roots after the threshold: the
  // order of applyBlock's error codes for blocks with several faults.
  const binding = bound ? null : checkBlockBinding(block, state.networkId);
  if (binding?.code === 'signature') return { ok: false, error: binding };
  const mtp = medianTimePast(state);
  if (header.timestamp <= mtp) {
    return fail('timestamp-past', `timestamp ${header.timestamp} not after median time ${mtp}`);
  }
  if (options.now !== undefined && header.timestamp > options.now + params.time.maxFutureDriftMs) {
    return fail('timestamp-future', `timestamp ${header.timestamp} is too far in the future`);
  }
  const parent = state.recentBlocks[state.recentBlocks.length - 1] as RecentBlock;
  const elapsed = header.timestamp - parent.timestamp;
  const required = requiredThreshold(state.threshold, elapsed, params);
  if (header.threshold !== required) {
    return fail('threshold', `threshold ${header.threshold}, schedule says ${required}`);
  }
  if (binding) return { ok: false, error: binding };

  // ---- optimae: verdicts and increments, each judged against the best before it ----------
  const bests = new Map<string, number>();
  const usedInBlock = new Set<Hash>();
  const assessments: OptimaeAssessment[] = [];
  for (const [index, optimae] of block.optimae.entries()) {
    const check = checkOptimae(optimae, optimaeContextFor(state, usedInBlock, header.timestamp));
    if (!check.ok) return fail('optimae', `optimae ${index}: ${check.error}`);
    const domainId = check.value.domain.id;
    const a = judgeOptimae(
      check.value,
      bests.get(domainId) ?? (state.domains[domainId] as DomainState).bestMetric,
      effectiveReputation(state.accounts[check.value.optimizer], height, params),
      params,
    );
    usedInBlock.add(a.commitId);
    assessments.push(a);
    if (a.verdict === 'accepted') bests.set(a.domainId, a.verifiedMetric);
  }
  const incrementSum = assessments.reduce((sum, a) => sum + a.increment, 0);
  if (incrementSum !== header.incrementSum) {
    return fail('increment-sum', `increment sum ${header.incrementSum}, verified ${incrementSum}`);
  }
  if (incrementSum < required) {
    return fail('below-threshold', `increment sum ${incrementSum} below threshold ${required}`);
  }

  // ---- coinbase: first, and exactly the reward split -------------------------------------
  const coinbase = block.transactions[0];
  if (coinbase?.type !== 'coinbase') {
    return fail('coinbase', 'the first transaction must be the coinbase');
  }
  const expected = coinbaseFor(height, header.generator, assessments, params);
  if (!equalBytes(encodeCanonical(coinbase), encodeCanonical(expected))) {
    return fail('coinbase', 'coinbase does not match the reward split');
  }

  return advanceState(state, block, assessments);
}

/** The coinbase a block at `height` made by `generator` must carry, given its optimae's verdicts. */
export function coinbaseFor(
  height: number,
  generator: AccountId,
  assessments: readonly OptimaeAssessment[],
  params: NetworkParams,
): Coinbase {
  return {
    type: 'coinbase',
    height,
    outputs: coinbaseOutputs(height, generator, assessments, params),
  };
}

/** Credits a coinbase's outputs to `accounts` (in place), opening accounts that are new. */
export function creditCoinbase(
  accounts: Record<AccountId, AccountState>,
  coinbase: Coinbase,
  height: number,
): void {
  for (const out of coinbase.outputs) {
    const acc = accounts[out.to] ?? emptyAccount(height);
    accounts[out.to] = { ...acc, balance: acc.balance + out.amount };
  }
}

/**
 * The state transition of applyBlock once a block's own checks have passed: its position,
 * signature, merkle roots, timestamp, threshold, optimae (`assessments` are their verdicts, in
 * block order), increment sum, and a first transaction that is the coinbase those verdicts call
 * for. From there: new domain bests, the coinbase and then each transfer in order (applyTransfer,
 * which checks signature, nonce and balance: the only way this fails), reputation, the threshold
 * schedule, recent blocks and commits. applyBlock ends with it; buildDevChain, which makes blocks
 * that pass those checks by construction, uses it alone. Never mutates `state`.
 */
export function advanceState(
  state: ChainState,
  block: Block,
  assessments: readonly OptimaeAssessment[],
): ApplyResult {
  const { header } = block;
  const params = state.params;
  const height = state.height + 1;

  // ---- optimae: new bests ----------------------------------------------------------------
  const domains = { ...state.domains };
  for (const a of assessments) {
    if (a.verdict !== 'accepted') continue;
    domains[a.domainId] = {
      bestMetric: a.verifiedMetric,
      bestParamsHash: a.paramsHash,
      bestCommitId: a.commitId,
      bestHeight: height,
      verifiedCount: (domains[a.domainId]?.verifiedCount ?? 0) + 1,
    };
  }

  // ---- ledger ----------------------------------------------------------------------------
  const accounts: Record<AccountId, AccountState> = { ...state.accounts };
  const [coinbase, ...transfers] = block.transactions;
  creditCoinbase(accounts, coinbase as Coinbase, height);
  for (const [index, tx] of transfers.entries()) {
    if (tx.type !== 'transfer')
      return fail('transaction', `transaction ${index + 1}: second coinbase`);
    const error = applyTransfer(tx, accounts, header.generator, state.networkId, height);
    if (error) return fail('transaction', `transaction ${index + 1}: ${error}`);
  }

  // ---- reputation ------------------------------------------------------------------------
  const adjust = (id: AccountId, delta: number) => {
    const acc = accounts[id] ?? emptyAccount(height);
    const current = effectiveReputation(acc, height, params);
    accounts[id] = { ...acc, reputation: Math.max(0, current + delta), reputationHeight: height };
  };
  const rep = params.reputation;
  for (const a of assessments) {
    if (a.verdict === 'accepted') adjust(a.optimizer, rep.perVerifiedOptimae);
    if (a.verdict === 'false-claim') adjust(a.optimizer, -rep.falseClaimPenalty);
    for (const id of a.agreeing) adjust(id, rep.perAgreeingVote);
    for (const id of a.outliers) adjust(id, -rep.outlierPenalty);
  }

  // ---- bookkeeping: threshold schedule, recent blocks, commits ---------------------------
  const hash = blockHash(header);
  const parent = state.recentBlocks[state.recentBlocks.length - 1] as RecentBlock;
  const elapsed = header.timestamp - parent.timestamp;
  const schedule = nextThreshold(
    { ...state, threshold: header.threshold },
    elapsed,
    height,
    params,
  );
  const recentCommits: Record<Hash, number> = {};
  for (const [id, at] of Object.entries(state.recentCommits)) {
    if (height - at < params.quorum.commitExpiryBlocks) recentCommits[id] = at;
  }
  for (const a of assessments) recentCommits[a.commitId] = height;
  const recentBlocks = [
    ...state.recentBlocks,
    { hash, height, timestamp: header.timestamp, ...evaluatorSets(accounts, height, params) },
  ].slice(-recentBlockWindow(params));

  return {
    ok: true,
    hash,
    assessments,
    state: {
      params,
      networkId: state.networkId,
      height,
      tipHash: hash,
      cumulativeWork: state.cumulativeWork + header.threshold,
      ...schedule,
      totalSupply: state.totalSupply + blockReward(height, params),
      accounts,
      domains,
      recentBlocks,
      recentCommits,
    },
  };
}

export function applyTransfer(
  tx: Transfer,
  accounts: Record<AccountId, AccountState>,
  generator: AccountId,
  networkId: Hash,
  height: number,
): string | null {
  if (!verifyTransfer(tx, networkId)) return 'bad transfer signature';
  const sender = accounts[tx.from];
  const check = checkTransfer(tx, sender);
  if (!check.ok) return check.error;
  const from = sender as AccountState;
  accounts[tx.from] = {
    ...from,
    balance: from.balance - tx.amount - tx.fee,
    nonce: from.nonce + 1,
  };
  const to = accounts[tx.to] ?? emptyAccount(height);
  accounts[tx.to] = { ...to, balance: to.balance + tx.amount };
  if (tx.fee > 0) {
    const gen = accounts[generator] ?? emptyAccount(height);
    accounts[generator] = { ...gen, balance: gen.balance + tx.fee };
  }
  return null;
}

/** Established evaluators and newcomers after a block, strongest first, capped, then sorted. */
export function evaluatorSets(
  accounts: Readonly<Record<AccountId, AccountState>>,
  height: number,
  params: NetworkParams,
): { evaluators: AccountId[]; newcomers: AccountId[] } {
  const ranked: [AccountId, number][] = [];
  for (const [id, acc] of Object.entries(accounts)) {
    const rep = effectiveReputation(acc, height, params);
    if (rep > 0) ranked.push([id, rep]);
  }
  ranked.sort(([a, ra], [b, rb]) => rb - ra || (a < b ? -1 : 1));
  const min = params.reputation.evaluatorMin;
  const pick = (established: boolean) =>
    ranked
      .filter(([, rep]) => rep >= min === established)
      .slice(0, LIMITS.maxEligibleEvaluators)
      .map(([id]) => id)
      .sort();
  return { evaluators: pick(true), newcomers: pick(false) };
}
