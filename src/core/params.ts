/**
 * Network parameters with sensible defaults. A network is named by these (through the genesis
 * hash), so every value here is consensus-critical once a network is running.
 */
import type { DomainDescriptor, NetworkParams } from './schemas';

export interface NetworkParamsInput {
  readonly name: string;
  readonly genesisTimestamp: number;
  readonly targetBlockTimeMs: number;
  readonly domains: readonly DomainDescriptor[];
  readonly quorumSize?: number;
}

export function createNetworkParams(input: NetworkParamsInput): NetworkParams {
  return {
    version: 1,
    name: input.name,
    genesisTimestamp: input.genesisTimestamp,
    targetBlockTimeMs: input.targetBlockTimeMs,
    // One increment unit = 1e-6 of weighted metric improvement.
    incrementScale: 1_000_000,
    threshold: {
      initial: 50_000,
      min: 1,
      max: 1_000_000_000_000,
      emaWindow: 8,
      maxStepBps: 2_500,
      epochLength: 64,
      epochMaxFactor: 16,
      intervalClampFactor: 10,
    },
    quorum: { size: input.quorumSize ?? 3, commitExpiryBlocks: 30 },
    reward: {
      // 50 coins of 1e8 base units, halving every 210,000 blocks.
      initial: 5_000_000_000,
      halvingInterval: 210_000,
      generatorBps: 2_000,
      optimizerBps: 6_000,
    },
    reputation: {
      perVerifiedOptimae: 100,
      perAgreeingVote: 20,
      outlierPenalty: 60,
      falseClaimPenalty: 300,
      evaluatorMin: 100,
      saturation: 1_000,
      newcomerFactorBps: 2_500,
      halfLifeBlocks: 2_000,
    },
    time: { medianSpan: 11, maxFutureDriftMs: 15_000 },
    domains: [...input.domains],
  };
}
