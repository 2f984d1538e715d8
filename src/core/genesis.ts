/**
 * Genesis: derived from the network parameters alone, with no pre-mine and no special key.
 * Its prevHash is the hash of the parameters, so the genesis hash (the network id) names them:
 * two networks with different parameters can never mix chains.
 */
import { hashTagged, ZERO_HASH } from './hash';
import { EMPTY_MERKLE_ROOT } from './merkle';
import { blockHash, TAGS } from './objects';
import {
  type Block,
  type ChainState,
  type NetworkParams,
  NetworkParamsSchema,
  parse,
} from './schemas';
import { initialThresholdState } from './threshold';

export const GENESIS_SIGNATURE = '0'.repeat(128);

export function genesisBlock(params: NetworkParams): Block {
  const checked = parse(NetworkParamsSchema, params);
  if (!checked.ok) throw new Error(`invalid network parameters: ${checked.error}`);
  if (params.reward.generatorBps + params.reward.optimizerBps > 10_000) {
    throw new Error('invalid network parameters: generator + optimizer shares exceed 100%');
  }
  if (params.threshold.min > params.threshold.max) {
    throw new Error('invalid network parameters: threshold.min > threshold.max');
  }
  if (new Set(params.domains.map((d) => d.id)).size !== params.domains.length) {
    throw new Error('invalid network parameters: duplicate domain id');
  }
  return {
    header: {
      version: 1,
      height: 0,
      prevHash: hashTagged(TAGS.params, params),
      timestamp: params.genesisTimestamp,
      generator: ZERO_HASH,
      threshold: initialThresholdState(params).threshold,
      incrementSum: 0,
      optimaeRoot: EMPTY_MERKLE_ROOT,
      txRoot: EMPTY_MERKLE_ROOT,
    },
    signature: GENESIS_SIGNATURE,
    optimae: [],
    transactions: [],
  };
}

export const networkIdOf = (params: NetworkParams): string =>
  blockHash(genesisBlock(params).header);

export function genesisState(params: NetworkParams): ChainState {
  const genesis = genesisBlock(params);
  const hash = blockHash(genesis.header);
  const threshold = initialThresholdState(params);
  return {
    params,
    networkId: hash,
    height: 0,
    tipHash: hash,
    cumulativeWork: 0,
    ...threshold,
    totalSupply: 0,
    accounts: {},
    domains: Object.fromEntries(
      params.domains.map((d) => [
        d.id,
        {
          bestMetric: d.initialBest,
          bestParamsHash: null,
          bestCommitId: null,
          bestHeight: 0,
          verifiedCount: 0,
        },
      ]),
    ),
    recentBlocks: [
      { hash, height: 0, timestamp: params.genesisTimestamp, evaluators: [], newcomers: [] },
    ],
    recentCommits: {},
  };
}
