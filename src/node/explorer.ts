/**
 * The read side of `window.doin` on a network: chain explorer, account histories, the metric
 * chart's data and the models page, all from this node's own copy of the chain (the block tree
 * in memory, older blocks from IndexedDB), so they work without peers.
 */

import { AccountIdSchema, type Block, type ChainState, HashSchema, parse } from '../core/schemas';
import { requiredThreshold } from '../core/threshold';
import { accountOfPeerId, peerIdOfAccount } from '../net/ids';
import type { ChainStore } from '../storage';
import type { ComputeClient } from '../workers/computeClient';
import type {
  AccountView,
  BlockDetail,
  BlockSummary,
  ChainPace,
  InferenceExample,
  MetricPoint,
  ModelInfo,
} from './api';
import { blockDetail, createChainIndex, optimaeViews } from './chainIndex';
import type { NetworkParticipant } from './networkParticipant';

export interface ExplorerDeps {
  readonly participant: NetworkParticipant;
  /** The profile's store (blocks below the restored tree's base live only there). */
  readonly store: ChainStore | null;
  /** The domain's inference worker (examples come from the domain's own code and data). */
  readonly inference: (domainId: string) => Promise<ComputeClient>;
}

export type Explorer = ReturnType<typeof createExplorer>;

const MAX_PAGE = 100;
const EXAMPLES = 5;

export function createExplorer(deps: ExplorerDeps) {
  const { participant: p, store } = deps;
  const params = p.tree.state.params;

  /** A main-chain block by height: from the tree where it has it, else from storage. */
  const blockAt = async (height: number): Promise<Block | undefined> => {
    const inTree = p.tree.blockAtHeight(height);
    if (inTree) return inTree;
    return store ? (await store.mainChainBlocks(height, 1))[0] : undefined;
  };

  const index = createChainIndex(
    {
      headHeight: () => p.tree.head.height,
      hashAt: (height) => p.tree.hashAtHeight(height),
      async read(from, count) {
        const out: Block[] = [];
        const base = p.tree.base.height;
        if (from < base && store) {
          out.push(...(await store.mainChainBlocks(from, Math.min(count, base - from))));
        }
        for (let h = from + out.length; out.length < count; h++) {
          const block = p.tree.blockAtHeight(h);
          if (!block) break;
          out.push(block);
        }
        return out;
      },
    },
    params,
  );

  const detailAt = async (height: number): Promise<BlockDetail | null> => {
    const summary = index.summaryAt(height);
    if (height === 0 && summary) {
      // Genesis carries nothing but the network's parameters (its prevHash is their hash).
      const genesis = p.tree.blockAtHeight(0);
      return {
        ...summary,
        prevHash: genesis?.header.prevHash ?? '',
        optimaeList: [],
        transferList: [],
        rewards: [],
      };
    }
    const best = index.bestBefore(height);
    if (!summary || !best) return null;
    const block = await blockAt(height);
    return block ? blockDetail(block, summary.hash, params, best) : null;
  };

  return {
    /** Brings the index up to the head (e.g. after a head change, in the background). */
    update: () => index.update(),
    /** This account's optimae on the main chain by verdict, as far as the index has got. */
    verdictsOf: (account: string) => index.verdictsOf(account),
    async blocks(query: { before?: number; limit?: number } = {}): Promise<BlockSummary[]> {
      const before = query.before ?? Number.MAX_SAFE_INTEGER;
      const limit = query.limit ?? 20;
      if (!Number.isSafeInteger(before) || before < 0) {
        throw new Error('blocks: `before` must be a whole number ≥ 0');
      }
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw new Error(`blocks: \`limit\` must be a whole number from 1 to ${MAX_PAGE}`);
      }
      await index.update();
      return index.summaries(before, limit);
    },

    async block(id: string): Promise<BlockDetail | null> {
      if (typeof id !== 'string') throw new Error('block: pass a block hash or a height');
      await index.update();
      if (/^[0-9]{1,15}$/.test(id)) return detailAt(Number(id));
      if (!parse(HashSchema, id).ok) {
        throw new Error('block: not a block hash (64 hex digits) or a height');
      }
      const height = index.heightOf(id);
      return height === undefined ? null : detailAt(height);
    },

    async account(input: string): Promise<AccountView> {
      const id = accountId(input);
      if (!id) {
        throw new Error(
          'account: not an address (a peer id like 12D3Koo… or a 64-hex-digit public key)',
        );
      }
      await index.update();
      const state = p.tree.state.accounts[id];
      const history = index.history(id);
      return {
        id,
        peerId: peerIdOfAccount(id) ?? '',
        balance: state?.balance ?? 0,
        nonce: state?.nonce ?? 0,
        reputation: state?.reputation ?? 0,
        rewardsEarned: history
          .filter((entry) => entry.kind === 'reward')
          .reduce((sum, entry) => sum + entry.amount, 0),
        history,
      };
    },

    async metricHistory(): Promise<MetricPoint[]> {
      await index.update();
      return index.metricHistory();
    },

    async models(): Promise<ModelInfo[]> {
      await index.update();
      const state = p.tree.state;
      return Promise.all(
        params.domains.map(async (descriptor): Promise<ModelInfo> => {
          const domain = state.domains[descriptor.id];
          let source: ModelInfo['source'] = null;
          if (domain?.bestCommitId) {
            const block = await blockAt(domain.bestHeight);
            const best = index.bestBefore(domain.bestHeight);
            const view =
              block && best
                ? optimaeViews(block, params, best).find((o) => o.commitId === domain.bestCommitId)
                : undefined;
            const hash = p.tree.hashAtHeight(domain.bestHeight);
            if (view && hash) {
              source = {
                height: domain.bestHeight,
                blockHash: hash,
                commitId: view.commitId,
                optimizer: view.optimizer,
                claimedMetric: view.claimedMetric,
                votes: view.votes,
              };
            }
          }
          return {
            domainId: descriptor.id,
            name: descriptor.name,
            description: descriptor.description,
            metric: descriptor.metric,
            direction: descriptor.direction,
            bestMetric: domain?.bestMetric ?? descriptor.initialBest,
            initialMetric: descriptor.initialBest,
            paramsHash: domain?.bestParamsHash ?? null,
            paramCount: descriptor.paramCount,
            verifiedCount: domain?.verifiedCount ?? 0,
            source,
            data: DOMAIN_DATA[descriptor.id] ?? descriptor.description,
          };
        }),
      );
    },

    async examples(domainId: string): Promise<InferenceExample[]> {
      if (!params.domains.some((d) => d.id === domainId)) {
        throw new Error(`this network has no domain ${domainId}`);
      }
      const client = await deps.inference(domainId);
      return (await client.examples(EXAMPLES)).map((e) => ({ ...e }));
    },
  };
}

/** The account behind an address: a hex public key or the peer id of one; null if neither. */
export function accountId(address: string): string | null {
  if (typeof address !== 'string') return null;
  if (parse(AccountIdSchema, address).ok) return address;
  return address.length <= 128 ? accountOfPeerId(address) : null;
}

/** What the next block needs now and when the last one came. */
export function chainPace(state: ChainState, now: number): ChainPace {
  const head = state.recentBlocks[state.recentBlocks.length - 1];
  const headTimestamp = head?.timestamp ?? state.params.genesisTimestamp;
  return {
    threshold: requiredThreshold(state.threshold, now - headTimestamp, state.params),
    headTimestamp,
    targetBlockTimeMs: state.params.targetBlockTimeMs,
  };
}

/** Where each built-in domain's data comes from, for the models page. */
const DOMAIN_DATA: Record<string, string> = {
  'mackey-glass':
    'Generated, not downloaded: optimizers train on 4,096 windows of Mackey–Glass trajectories ' +
    'from their own seed; each evaluator measures 16,384 windows from a seed made of the commit, ' +
    'its own id and the chain tip, so nobody knew the test data when the claim was made.',
  'boston-housing':
    'The 506 Boston census tracts of Harrison & Rubinfeld (1978): optimizers train on a fixed ' +
    '80% split; every evaluator measures the same held-out 101 tracts.',
  'quadratic-16':
    'No data: the metric is the distance to a hidden 16-D point (a test and demo domain).',
};
