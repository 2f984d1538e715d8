/**
 * Dev chains: any number of valid, signed blocks on top of genesis (or a given state), for unit
 * tests, the end-to-end seed and the sync benchmark. Every block carries one optimae (commit,
 * reveal and votes signed by the given keys, with a real quorum) whose verified improvement just
 * reaches the block's threshold, and a correct coinbase; BlockTree.add and applyBlock accept them.
 *
 * Speed: signatures are made but never re-checked here. The state is advanced with advanceState,
 * applyBlock's own last step, skipping only the checks before it (the blocks pass them by
 * construction), so a block costs ~4 signatures and no verification: 1,000 blocks take a few
 * seconds. The unit test replays every chain it builds through applyBlock, and `check: true`
 * does it here.
 *
 * The optimae are synthetic: parameter hashes are labels, not blobs anyone can fetch, and the
 * metric moves by exactly what each threshold needs (for a minimize domain at the target block
 * time that is ~0.05 a block, so a long chain takes it below zero). Use a long `intervalMs` for
 * small thresholds and small steps.
 */
import { sealBlock, thresholdAt } from './builder';
import { advanceState, applyBlock, coinbaseFor, medianTimePast } from './chain';
import { prepareCommit } from './commitReveal';
import { type AccountId, type KeyPair, keyPairFromSeed } from './crypto';
import { hexToBytes, utf8ToBytes } from './encoding';
import { genesisState, networkIdOf } from './genesis';
import { type Hash, hashTagged, sha256Hex } from './hash';
import { signVote } from './objects';
import {
  type CheckedOptimae,
  improvement,
  incrementUnits,
  judgeOptimae,
  type OptimaeAssessment,
} from './poo';
import { assessVotes, type Quorum, selectQuorum, supermajority } from './quorum';
import { effectiveReputation, reputationFactorBps } from './reputation';
import type {
  Block,
  ChainState,
  DomainDescriptor,
  DomainState,
  NetworkParams,
  Optimae,
  RecentBlock,
} from './schemas';

export interface DevChainOptions {
  /** Number of blocks to make (genesis is not counted and not returned). */
  readonly length: number;
  /** At least two: optimizer, generator and voters rotate through them. */
  readonly keys: readonly KeyPair[];
  /** Time between blocks; default the network's target, which keeps the threshold steady. */
  readonly intervalMs?: number;
  /** Timestamp of the first block; default the start tip's timestamp + intervalMs. */
  readonly startTimestamp?: number;
  /** Build on this state (e.g. a fork from a dev chain's `state`); default genesis. */
  readonly start?: ChainState;
  /** Domain the optimae improve; default the first domain with a non-zero weight. */
  readonly domainId?: string;
  /** Every quorum member votes; by default only as many as agreement needs (fewer signatures). */
  readonly fullQuorum?: boolean;
  /** Tells apart chains built from one start with the same keys and times (forks). */
  readonly label?: string;
  /** Also run applyBlock on every block and use its state (slow; to debug this module). */
  readonly check?: boolean;
}

export interface DevChain {
  readonly blocks: Block[];
  readonly hashes: Hash[];
  /** State after the last block (the start state when length is 0). */
  readonly state: ChainState;
  /** A clock at or after this accepts every block (none is in the future relative to it). */
  readonly lastTimestamp: number;
}

/** `count` deterministic keys derived from a label: the same label gives the same keys. */
export function devKeys(count: number, label = 'doin dev key'): KeyPair[] {
  return Array.from({ length: count }, (_, i) =>
    keyPairFromSeed(hexToBytes(sha256Hex(utf8ToBytes(`${label} ${i}`)))),
  );
}

export function buildDevChain(params: NetworkParams, options: DevChainOptions): DevChain {
  const { length, keys } = options;
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('length must be a whole number');
  const byId = new Map<AccountId, KeyPair>(keys.map((k) => [k.publicKey, k]));
  if (byId.size < 2) throw new Error('a dev chain needs at least two distinct keys');
  const intervalMs = options.intervalMs ?? params.targetBlockTimeMs;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1)
    throw new Error('intervalMs must be ≥ 1');
  let state = options.start ?? genesisState(params);
  if (state.networkId !== networkIdOf(params)) throw new Error('start state is of another network');
  const domain = pickDomain(params, options.domainId);
  const label = options.label ?? '';
  const ring = [...byId.values()];

  const blocks: Block[] = [];
  const hashes: Hash[] = [];
  let timestamp = options.startTimestamp ?? tipOf(state).timestamp + intervalMs;
  for (let i = 0; i < length; i++, timestamp += intervalMs) {
    if (timestamp <= medianTimePast(state)) {
      throw new Error(`timestamp ${timestamp} is not after the chain's median time`);
    }
    const made = makeBlock(state, timestamp, domain, ring, byId, label, options.fullQuorum);
    const next = options.check
      ? applyBlock(state, made.block)
      : advanceState(state, made.block, made.assessments);
    if (!next.ok) throw new Error(`dev block ${made.block.header.height}: ${next.error.message}`);
    state = next.state;
    blocks.push(made.block);
    hashes.push(state.tipHash);
  }
  return {
    blocks,
    hashes,
    state,
    lastTimestamp: tipOf(state).timestamp,
  };
}

const tipOf = (state: ChainState): RecentBlock =>
  state.recentBlocks[state.recentBlocks.length - 1] as RecentBlock;

function pickDomain(params: NetworkParams, id: string | undefined): DomainDescriptor {
  const domain =
    id === undefined
      ? params.domains.find((d) => d.weight > 0)
      : params.domains.find((d) => d.id === id);
  if (!domain) throw new Error(id ? `unknown domain ${id}` : 'no domain with a non-zero weight');
  if (domain.weight <= 0)
    throw new Error(`domain ${domain.id} has weight 0: it earns no increments`);
  return domain;
}

/** The next block: one optimae whose increment reaches the threshold due at `timestamp`. */
function makeBlock(
  state: ChainState,
  timestamp: number,
  domain: DomainDescriptor,
  ring: readonly KeyPair[],
  byId: ReadonlyMap<AccountId, KeyPair>,
  label: string,
  fullQuorum = false,
): { block: Block; assessments: OptimaeAssessment[] } {
  const params = state.params;
  const networkId = state.networkId;
  const height = state.height + 1;
  const tip = tipOf(state);
  const required = thresholdAt(state, timestamp);
  const optimizer = ring[(height - 1) % ring.length] as KeyPair;
  const generator = ring[height % ring.length] as KeyPair;
  const best = (state.domains[domain.id] as DomainState).bestMetric;
  const reputation = effectiveReputation(state.accounts[optimizer.publicKey], height, params);
  const metric = improvedMetric(domain, best, required, reputation, params);

  const seed = { label, networkId, height };
  const { commit, reveal, commitId } = prepareCommit(
    {
      domainId: domain.id,
      paramsHash: hashTagged('doin/dev/params', seed),
      nonce: hashTagged('doin/dev/nonce', seed),
      claimedMetric: metric,
      base: { height: state.height, hash: state.tipHash },
    },
    optimizer,
    networkId,
  );
  const quorum = selectQuorum(
    tip,
    commitId,
    optimizer.publicKey,
    params,
    timestamp - tip.timestamp,
  );
  const voters = chooseVoters(quorum, optimizer, ring, byId, height, fullQuorum);
  const votes = voters.map((voter) =>
    signVote(
      { commitId, paramsHash: reveal.paramsHash, evaluator: voter.publicKey, metric },
      voter,
      networkId,
    ),
  );
  // What checkOptimae would return once the signatures check out (they do: we just made them).
  const checked: CheckedOptimae = {
    commitId,
    domain,
    optimizer: optimizer.publicKey,
    paramsHash: reveal.paramsHash,
    claimedMetric: metric,
    agreement: assessVotes(votes, quorum, domain.tolerance),
    quorumMode: quorum.mode,
  };
  const assessment = judgeOptimae(checked, best, reputation, params);
  if (assessment.verdict !== 'accepted' || assessment.increment < required) {
    throw new Error(`dev block ${height}: optimae would not reach the threshold`);
  }
  const optimae: Optimae = { commit, reveal, votes };
  const assessments = [assessment];
  const coinbase = coinbaseFor(height, generator.publicKey, assessments, params);
  const claims = { timestamp, threshold: required, incrementSum: assessment.increment };
  return {
    block: sealBlock(state, generator, claims, [optimae], [coinbase]),
    assessments,
  };
}

/**
 * Voters other than the optimizer, rotating with the height so reputation spreads over the keys:
 * in open mode one vote agrees with itself; in selected mode a 2/3 majority of the members.
 */
function chooseVoters(
  quorum: Quorum,
  optimizer: KeyPair,
  ring: readonly KeyPair[],
  byId: ReadonlyMap<AccountId, KeyPair>,
  height: number,
  fullQuorum: boolean,
): KeyPair[] {
  const rotate = <T>(items: readonly T[]): T[] => {
    const k = items.length === 0 ? 0 : height % items.length;
    return [...items.slice(k), ...items.slice(0, k)];
  };
  if (quorum.mode === 'open') {
    const candidates = ring.filter((k) => k.publicKey !== optimizer.publicKey);
    return rotate(candidates).slice(0, fullQuorum ? quorum.maxVotes : 1);
  }
  const members = quorum.members.map((id) => {
    const key = byId.get(id);
    if (!key) throw new Error(`quorum member ${id.slice(0, 12)} is not one of the dev keys`);
    return key;
  });
  return rotate(members).slice(0, fullQuorum ? members.length : supermajority(members.length));
}

/** A metric better than `best` by just enough (with margin) for the increment to reach `required`. */
function improvedMetric(
  domain: DomainDescriptor,
  best: number,
  required: number,
  reputation: number,
  params: NetworkParams,
): number {
  const minGain = domain.tolerance * Math.max(Math.abs(best), 1e-9);
  // Raw units needed before the reputation factor; +1 unit absorbs float rounding.
  const raw = Math.ceil((required * 10_000) / reputationFactorBps(reputation, params)) + 1;
  let gain = Math.max(raw / (domain.weight * params.incrementScale), minGain * 2);
  for (let i = 0; i < 64; i++, gain *= 2) {
    // + 0 turns a -0 into 0 (it has no canonical encoding).
    const candidate = (domain.direction === 'minimize' ? best - gain : best + gain) + 0;
    if (!Number.isFinite(candidate)) break;
    const actual = improvement(domain, best, candidate);
    if (actual > minGain && incrementUnits(domain, actual, reputation, params) >= required) {
      return candidate;
    }
  }
  throw new Error(`domain ${domain.id}: no metric reaches threshold ${required}`);
}
