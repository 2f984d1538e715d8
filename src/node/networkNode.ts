/**
 * `window.doin` on a real network: the network participant (chain kept in step with peers over
 * libp2p) plus the training workers. Until issue 6 the page validates, relays and serves the
 * chain but makes no blocks of its own; its verified candidates stay local.
 */
import { bytesToHex } from '../core/encoding';
import type { NetworkParams } from '../core/schemas';
import type { PeerBook } from '../net/netNode';
import type { DoinNode, NodeStatus } from './api';
import { createLazyTrainer } from './lazyTrainer';
import { createNetworkParticipant, type NetworkParticipant } from './networkParticipant';

export interface NetworkNodeOptions {
  readonly relay: string;
  readonly params: NetworkParams;
  readonly iceServers?: readonly string[];
  readonly peerBook?: PeerBook;
  readonly trainDomain?: string;
  readonly backend?: string;
  readonly warnings?: readonly string[];
}

export interface NetworkDoinNode extends DoinNode {
  /** The participant, once ready (tests and the debug surface reach the chain through it). */
  participant(): NetworkParticipant;
}

export function createNetworkNode(options: NetworkNodeOptions): NetworkDoinNode {
  let participant: NetworkParticipant | null = null;
  let contributing = false;
  const ready = createNetworkParticipant({
    relay: options.relay,
    params: options.params,
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
    ...(options.peerBook ? { peerBook: options.peerBook } : {}),
  }).then((p) => {
    participant = p;
  });
  const training = createLazyTrainer(
    { domainId: options.trainDomain ?? 'mackey-glass', backend: options.backend ?? 'auto' },
    () => contributing,
  );
  const requireParticipant = (): NetworkParticipant => {
    if (!participant) throw new Error('doin is not ready yet: await window.doin.ready first');
    return participant;
  };

  return {
    ready,
    participant: requireParticipant,
    status(): NodeStatus {
      const p = requireParticipant();
      const snap = p.snapshot();
      const state = p.tree.state;
      const account = bytesToHex(p.net.libp2p.peerId.publicKey?.raw ?? new Uint8Array());
      const trainingStatus = training.current()?.status() ?? null;
      const relayProblem =
        snap.relay.status !== 'connected' && snap.relay.lastError
          ? `relay unreachable (${snap.relay.lastError}); retrying, direct peers keep working`
          : null;
      const error =
        training.error() ??
        trainingStatus?.error ??
        snap.lastSyncError ??
        relayProblem ??
        (options.warnings?.length ? options.warnings.join('; ') : null);
      return {
        peerId: snap.peerId,
        peers: snap.peers.length,
        connections: snap.connections.map((c) => ({ ...c })),
        head: { ...snap.head },
        backend: trainingStatus?.backend ?? (training.requested() ? 'measuring' : 'not started'),
        domains: Object.entries(state.domains).map(([id, d]) => ({ id, best: d.bestMetric })),
        contributing,
        balance: state.accounts[account]?.balance ?? 0,
        mode: 'network',
        simulatedPeers: 0,
        training: trainingStatus,
        network: {
          id: snap.networkId,
          name: snap.networkName,
          relay: { ...snap.relay },
          syncing: snap.syncing,
        },
        ...(error ? { error } : {}),
      };
    },
    async start(startOptions = {}) {
      const { dutyCycle } = startOptions;
      if (dutyCycle !== undefined && !(dutyCycle > 0 && dutyCycle <= 1)) {
        throw new Error(`dutyCycle must be in (0, 1], got ${dutyCycle}`);
      }
      contributing = true;
      await training.start(dutyCycle);
    },
    async stop() {
      contributing = false;
      await training.current()?.stop();
    },
    async loadLocalData(csv, column) {
      await (await training.ensure()).loadLocalData(csv, column);
    },
    async infer(domainId, input) {
      const trainer = training.current();
      if (trainer && trainer.status().domainId === domainId) return trainer.infer(input);
      // Inference from the chain's best parameters arrives with issue 6 (blobs by hash).
      throw new Error(`no model for ${domainId} on this page yet: start contributing to train one`);
    },
  };
}
