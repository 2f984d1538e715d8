/**
 * `window.doinDebug` (only with ?debug=1): reach into a network page's chain and gossip from a
 * test or the console. It can only do what any peer on the network can do (send bytes, offer
 * blocks for validation); it bypasses nothing on other peers.
 */
import { blockHash } from '../core/objects';
import type { GossipRejection, GossipStats } from '../net/gossip';
import type { ImportReport, ReceivedGossip, SyncRecord } from './networkParticipant';
import type { PageNode } from './pageNode';

export interface DoinDebug {
  /** Validates blocks into this page's chain and gossips each accepted one (a chain import). */
  importBlocks(blocks: unknown[]): Promise<ImportReport>;
  /** Sends raw bytes on a gossip topic, unchecked: to watch other peers reject them. */
  publishRaw(topic: string, bytes: number[]): Promise<number>;
  gossipStats(): GossipStats;
  rejections(): readonly GossipRejection[];
  received(): ReceivedGossip[];
  /** Chain syncs that fetched something, with how long they took (newest last). */
  syncs(): readonly SyncRecord[];
  /** This page's relayed WebRTC addresses. */
  addrs(): string[];
  /** Who gossipsub exchanges the block topic with: peers, subscribers, mesh. */
  gossipPeers(): { peers: string[]; subscribers: string[]; mesh: string[] };
  /** The main chain, summarized: who made each block, whose optimae it holds, who voted. */
  blocks(): BlockSummary[];
  /**
   * Makes this page a dishonest optimizer: it claims `claimFactor` × what it measured and does
   * no honest work (no votes, no blocks). null: honest again. For tests of the rules.
   */
  cheat(claimFactor: number | null): void;
  /** Resolves once the chain as it is now is written to IndexedDB. */
  flushStorage(): Promise<void>;
  /** gossipsub's score for a peer (negative after invalid messages). */
  score(peerId: string): number;
}

export interface BlockSummary {
  height: number;
  hash: string;
  generator: string;
  optimae: { optimizer: string; voters: string[]; claimedMetric: number }[];
}

export function createDebugSurface(node: PageNode): DoinDebug {
  const participant = () => {
    const network = node.networkNode();
    if (!network) throw new Error('doinDebug needs a network page (a relay)');
    return network.participant();
  };
  return {
    importBlocks: (blocks) => participant().importBlocks(blocks),
    publishRaw: (topic, bytes) => participant().publishRaw(topic, Uint8Array.from(bytes)),
    gossipStats: () => participant().validator.stats(),
    rejections: () => participant().validator.recentRejections(),
    received: () => participant().received(),
    syncs: () => participant().snapshot().syncs,
    addrs: () => participant().net.addrs(),
    score: (peerId) => participant().net.score(peerId),
    flushStorage: () => participant().persisted(),
    blocks: () =>
      participant()
        .tree.mainChain()
        .slice(1)
        .map((block) => ({
          height: block.header.height,
          hash: blockHash(block.header),
          generator: block.header.generator,
          optimae: block.optimae.map((o) => ({
            optimizer: o.commit.optimizer,
            voters: o.votes.map((v) => v.evaluator),
            claimedMetric: o.commit.claimedMetric,
          })),
        })),
    cheat: (claimFactor) => {
      const network = node.networkNode();
      if (!network) throw new Error('doinDebug needs a network page (a relay)');
      network.roles()?.setCheat(claimFactor);
    },
    gossipPeers: () => {
      const pubsub = participant().net.libp2p.services.pubsub;
      const topic = 'doin/1/block';
      return {
        peers: pubsub.getPeers().map(String),
        subscribers: pubsub.getSubscribers(topic).map(String),
        mesh: (pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(topic),
      };
    },
  };
}
