/**
 * An in-memory network of peers running the whole protocol with src/core: optimize, commit,
 * reveal, evaluate on per-evaluator seeds, vote, build blocks and validate them with BlockTree.
 * Gossip is a synchronous broadcast; the blob store stands in for blob fetch. The page runs one
 * as its local simulation until it has real peers, and unit tests use it as a whole network.
 */
import { BlockTree } from './blockTree';
import { buildBlock } from './builder';
import { prepareCommit } from './commitReveal';
import type { KeyPair } from './crypto';
import type { DomainPlugin } from './domain';
import { genesisState } from './genesis';
import { type Hash, hashTagged, paramsHash } from './hash';
import { signVote } from './objects';
import type { OptimaeAssessment } from './poo';
import { evaluationSeed, selectQuorum } from './quorum';
import type { Block, NetworkParams, Optimae } from './schemas';

export interface SimPeer {
  readonly name: string;
  readonly key: KeyPair;
  readonly tree: BlockTree;
  readonly pool: Map<Hash, Optimae>;
  /** Reports this metric instead of the real one (a cheater). */
  readonly lie?: (metric: number) => number;
}

export interface SimLog {
  readonly blocks: { block: Block; assessments: readonly OptimaeAssessment[] }[];
  readonly quorumModes: ('open' | 'selected')[];
}

export class SimulatedNetwork {
  readonly peers: SimPeer[];
  readonly blobs = new Map<Hash, Float32Array>();
  readonly log: SimLog = { blocks: [], quorumModes: [] };
  now: number;

  constructor(
    readonly params: NetworkParams,
    readonly domain: DomainPlugin,
    peers: { name: string; key: KeyPair; lie?: (metric: number) => number }[],
  ) {
    const genesis = genesisState(params);
    this.peers = peers.map((p) => ({ ...p, tree: new BlockTree(genesis), pool: new Map() }));
    this.now = params.genesisTimestamp;
  }

  bestParams(peer: SimPeer): Float32Array {
    const best = peer.tree.state.domains[this.domain.descriptor.id]?.bestParamsHash;
    return best ? (this.blobs.get(best) as Float32Array) : this.domain.initialParams();
  }

  /** One optimizer trains, commits, reveals; its quorum evaluates and votes; all pools get it. */
  async round(optimizer: SimPeer, round: number, steps = 3): Promise<Optimae> {
    const state = optimizer.tree.state;
    const seed = hashTagged('sim/optimize', { round, who: optimizer.name });
    const result = await this.domain.optimize(this.bestParams(optimizer), { steps, seed });
    const hash = paramsHash(result.params);
    this.blobs.set(hash, result.params);
    const { commit, reveal, commitId } = prepareCommit(
      {
        domainId: this.domain.descriptor.id,
        paramsHash: hash,
        nonce: hashTagged('sim/nonce', { round, who: optimizer.name }),
        claimedMetric: optimizer.lie ? optimizer.lie(result.metric) : result.metric,
        base: { height: state.height, hash: state.tipHash },
      },
      optimizer.key,
      state.networkId,
    );
    const base = state.recentBlocks[state.recentBlocks.length - 1];
    if (!base) throw new Error('no base block');
    const quorum = selectQuorum(base, commitId, optimizer.key.publicKey, this.params);
    this.log.quorumModes.push(quorum.mode);
    const voters =
      quorum.mode === 'selected'
        ? this.peers.filter((p) => quorum.members.includes(p.key.publicKey))
        : this.peers.filter((p) => p !== optimizer).slice(0, quorum.maxVotes);
    const votes = [];
    for (const voter of voters) {
      const params = this.blobs.get(reveal.paramsHash) as Float32Array;
      const metric = await this.domain.evaluate(
        params,
        evaluationSeed(commitId, voter.key.publicKey, commit.baseHash),
      );
      votes.push(
        signVote(
          { commitId, paramsHash: reveal.paramsHash, evaluator: voter.key.publicKey, metric },
          voter.key,
          state.networkId,
        ),
      );
    }
    const optimae: Optimae = { commit, reveal, votes };
    for (const peer of this.peers) peer.pool.set(commitId, optimae);
    return optimae;
  }

  /** `generator` tries to make a block from its pool; on success every peer receives it. */
  tryBlock(generator: SimPeer): boolean {
    const built = buildBlock({
      state: generator.tree.state,
      generator: generator.key,
      timestamp: this.now,
      optimae: [...generator.pool.values()],
    });
    if (!built.ok) return false;
    this.log.blocks.push({ block: built.block, assessments: built.assessments });
    for (const peer of this.peers) {
      const result = peer.tree.add(built.block, { now: this.now });
      if (result.status !== 'head')
        throw new Error(`${peer.name} did not accept: ${JSON.stringify(result)}`);
      for (const id of Object.keys(peer.tree.state.recentCommits)) peer.pool.delete(id);
    }
    return true;
  }
}
