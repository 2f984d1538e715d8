/**
 * `window.doin` on a real network: the network participant (chain kept in step with peers over
 * libp2p) plus, while contributing, the roles (src/node/roles.ts) that train, evaluate and make
 * blocks with the compute workers.
 */

import * as v from 'valibot';
import { equalBytes } from '../core/encoding';
import { genesisState } from '../core/genesis';
import type { Hash } from '../core/hash';
import { commitId, signTransfer } from '../core/objects';
import {
  type Block,
  type Commit,
  CommitSchema,
  LIMITS,
  type NetworkParams,
  parse,
  type Reveal,
  RevealSchema,
  type Transfer,
  TransferSchema,
  type Vote,
  VoteSchema,
} from '../core/schemas';
import type { PeerBook } from '../net/netNode';
import { preverifyBlocks } from '../net/preverify';
import { type ChainStore, openChainStore } from '../storage';
import { type ComputeClient, startComputeClient } from '../workers/computeClient';
import type { ArchiveImport, BackendSpeed, DoinNode, NodeStatus } from './api';
import { readArchive, replayArchive } from './archive';
import { chooseDomain } from './domainChoice';
import { createEventHub } from './events';
import { accountId, chainPace, createExplorer, type Explorer } from './explorer';
import { createNetworkParticipant, type NetworkParticipant } from './networkParticipant';
import { createRoles, mempoolId, type PoolEntry, type Roles } from './roles';

export interface NetworkNodeOptions {
  readonly relay: string;
  readonly params: NetworkParams;
  readonly iceServers?: readonly string[];
  readonly peerBook?: PeerBook;
  /** The participant's Ed25519 seed (default: the profile's stored one, created on first use). */
  readonly identitySeed?: Uint8Array;
  /** Keeps identity, chain and blobs in IndexedDB under this profile; null: memory only. */
  readonly profile?: string | null;
  readonly trainDomain?: string;
  readonly backend?: string;
  /** Optimize steps per candidate (default 4,000: verification stays ≤ 5% of it). */
  readonly stepsPerCandidate?: number;
  readonly warnings?: readonly string[];
}

export interface NetworkDoinNode extends DoinNode {
  /** The participant, once ready (tests and the debug surface reach the chain through it). */
  participant(): NetworkParticipant;
  /** The contributing roles, once ready. */
  roles(): Roles | null;
}

export function createNetworkNode(options: NetworkNodeOptions): NetworkDoinNode {
  let participant: NetworkParticipant | null = null;
  let roles: Roles | null = null;
  let contributing = false;
  let backend: string | null = null;
  let measurements: BackendSpeed[] = [];
  /** The GPU share last asked for (start({ dutyCycle })); the workers start at full share. */
  let currentDutyCycle = 1;
  /**
   * The domain this page works on: fixed by `trainDomain` (?domain=) when the network has it,
   * else chosen at each start by expected reward per compute on the chain as it is then.
   */
  let domainId = chooseDomain(genesisState(options.params), options.trainDomain ?? null) ?? '';
  const hub = createEventHub();

  let compute: Promise<{ optimizer: ComputeClient; evaluator: ComputeClient }> | null = null;
  let computeDomain = '';
  const startCompute = () => {
    if (compute && computeDomain !== domainId) {
      // Workers are per domain: a page that moved to another domain starts fresh ones.
      const old = compute;
      compute = null;
      void old.then(
        (c) => {
          c.optimizer.terminate();
          c.evaluator.terminate();
        },
        () => {},
      );
    }
    computeDomain = domainId;
    compute ??= (async () => {
      const common = { domainId, backend: options.backend ?? 'auto' };
      const optimizer = await startComputeClient({ ...common, name: 'doin-optimizer' });
      // The evaluator re-uses the optimizer's measured choice (remembered per device).
      const evaluator = await startComputeClient({ ...common, name: 'doin-evaluator' });
      if (currentDutyCycle !== 1) {
        await Promise.all([
          optimizer.setDutyCycle(currentDutyCycle),
          evaluator.setDutyCycle(currentDutyCycle),
        ]);
      }
      backend = optimizer.initStatus.backend;
      measurements = optimizer.initStatus.measurements.map((m) => ({
        backend: m.backend,
        available: m.available,
        msPerStep: m.msPerStep,
      }));
      return { optimizer, evaluator };
    })();
    compute.catch(() => {
      compute = null; // let the next start try again
    });
    return compute;
  };

  /** One inference worker per domain, made on first use (queries never wait for training). */
  const inference = new Map<string, Promise<ComputeClient>>();
  const inferenceClient = (id: string): Promise<ComputeClient> => {
    let client = inference.get(id);
    if (!client) {
      client = startComputeClient({
        domainId: id,
        backend: options.backend ?? 'auto',
        name: `doin-inference-${id}`,
      });
      client.catch(() => inference.delete(id)); // the next query tries again
      inference.set(id, client);
    }
    return client;
  };

  // ---- blob pruning: what no domain's best, pending commit or recent own commit needs ------
  /** Blobs this page committed (hash → when), kept an hour whatever the chain says. */
  const ownBlobs = new Map<Hash, number>();
  let lastPrune = Date.now(); // the first prune waits a minute: the pool refills after a reload
  let pruneTimer: ReturnType<typeof setTimeout> | null = null;
  const pruneBlobs = async (): Promise<void> => {
    const p = participant;
    if (!p) return;
    lastPrune = Date.now();
    const keep = new Set<Hash>();
    for (const d of Object.values(p.tree.state.domains)) {
      if (d.bestParamsHash) keep.add(d.bestParamsHash);
    }
    for (const entry of roles?.pool.values() ?? []) {
      if (entry.reveal) keep.add(entry.reveal.paramsHash);
    }
    for (const [hash, at] of ownBlobs) {
      if (lastPrune - at < PRUNE_KEEP_OWN_MS) keep.add(hash);
      else ownBlobs.delete(hash);
    }
    await p.pruneBlobs(keep).catch((err: unknown) => {
      console.warn(`doin: could not prune stored parameters: ${errorText(err)}`);
    });
  };
  /** After head changes: at most once a minute. */
  const schedulePrune = (): void => {
    if (pruneTimer) return;
    const wait = Math.max(0, lastPrune + PRUNE_EVERY_MS - Date.now());
    pruneTimer = setTimeout(() => {
      pruneTimer = null;
      void pruneBlobs();
    }, wait);
  };

  let storageProblem: string | null = null;
  let profileStore: ChainStore | null = null;
  let identitySeed: Uint8Array | null = null;
  const ready = (async () => {
    const store = options.profile ? await openStore(options.profile) : null;
    profileStore = store;
    let seed = options.identitySeed ?? (await store?.loadIdentity().catch(() => null)) ?? null;
    if (!seed) {
      seed = crypto.getRandomValues(new Uint8Array(32));
      await store?.saveIdentity(seed).catch((err: unknown) => {
        storageProblem = `your identity could not be saved: ${errorText(err)}`;
      });
    }
    identitySeed = seed;
    return createNetworkParticipant({
      relay: options.relay,
      params: options.params,
      identitySeed: seed,
      ...(store ? { store } : {}),
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      ...(options.peerBook ? { peerBook: options.peerBook } : {}),
      onEvent(event) {
        if (event.type === 'head') {
          hub.emit(event);
          void explorer?.update().catch(() => {}); // keeps status().work's chain counts current
          roles?.prune();
          schedulePrune();
          return;
        }
        const a = event.assessment;
        const isMine = participant !== null && a.optimizer === participant.key.publicKey;
        hub.emit({
          type: 'optimae',
          commitId: a.commitId,
          domainId: a.domainId,
          optimizer: a.optimizer,
          verdict: a.verdict,
          mine: isMine,
        });
      },
      onObject(topic, value) {
        if (!roles) return;
        if (topic === 'doin/1/commit') roles.addCommit(value as Commit, commitId(value as Commit));
        else if (topic === 'doin/1/reveal') roles.addReveal(value as Reveal);
        else if (topic === 'doin/1/vote') roles.addVote(value as Vote);
        else if (topic === 'doin/1/tx') roles.addTransfer(value as Transfer);
        else if (topic === 'doin/1/block') roles.prune();
      },
    }).catch((err: unknown) => {
      void store?.close();
      throw err;
    });
  })().then(async (p) => {
    participant = p;
    p.net.on('peer:connect', (evt) => {
      if (evt.detail.peerId !== p.net.relayPeerId && evt.detail.transport === 'webrtc') {
        hub.emit({ type: 'peer', peerId: evt.detail.peerId, joined: true, transport: 'webrtc' });
      }
    });
    p.net.on('peer:disconnect', (evt) => {
      if (evt.detail.peerId !== p.net.relayPeerId) {
        hub.emit({ type: 'peer', peerId: evt.detail.peerId, joined: false });
      }
    });
    // The pool of optimae not yet on chain survives a reload (they are re-checked like any other).
    const savePool = (id: Hash, entry: PoolEntry | null) => {
      if (!profileStore) return;
      const write = entry
        ? profileStore.putPending('optimae', id, {
            commit: entry.commit,
            reveal: entry.reveal,
            votes: [...entry.votes.values()],
          })
        : profileStore.deletePending([id]);
      void write.catch(() => {}); // best effort: peers re-gossip what matters
    };
    roles = createRoles({
      onPoolChange: savePool,
      key: p.key,
      domainId: () => domainId,
      state: () => p.tree.state,
      now: Date.now,
      publish: (topic, value) => p.publishOwn(topic, value),
      importOwnBlock: (block: Block) => {
        const result = p.addBlock(block);
        if (result.status !== 'head') return false;
        hub.emit({ type: 'block-made', height: block.header.height, hash: result.hash });
        return true;
      },
      onCommitted: (commit, id) =>
        hub.emit({
          type: 'committed',
          commitId: id,
          domainId: commit.domainId,
          claimedMetric: commit.claimedMetric,
        }),
      blob: (hash, optimizer) => p.blob(hash, optimizer),
      storeBlob: (hash, params) => {
        ownBlobs.set(hash, Date.now());
        p.storeBlob(hash, params);
      },
      compute: startCompute,
      stepsPerCandidate: options.stepsPerCandidate ?? 4_000,
      beforeCandidate: () => {
        // An unfixed domain follows the chain: once one is nearly solved, move to the next.
        if (options.trainDomain === undefined) {
          domainId = chooseDomain(p.tree.state, null) ?? domainId;
        }
      },
      onVoted: (vote, voteDomain) =>
        hub.emit({
          type: 'vote',
          commitId: vote.commitId,
          domainId: voteDomain,
          metric: vote.metric,
        }),
      onMempoolChange: (id, tx) => {
        // Only our own transfers are kept across reloads: peers re-gossip nothing old.
        if (!profileStore || (tx && tx.from !== p.key.publicKey)) return;
        void (tx ? profileStore.putPending('tx', id, tx) : profileStore.deletePending([id])).catch(
          () => {},
        );
      },
    });
    const saved = (await profileStore?.listPending('optimae').catch(() => [])) ?? [];
    for (const item of saved) {
      const entry = parse(SavedOptimaeSchema, item.value);
      if (!entry.ok) {
        savePool(item.id, null); // damaged or from an older format: drop it
        continue;
      }
      const id = commitId(entry.value.commit);
      roles.addCommit(entry.value.commit, id);
      if (entry.value.reveal) roles.addReveal(entry.value.reveal);
      for (const vote of entry.value.votes) roles.addVote(vote);
    }
    for (const item of (await profileStore?.listPending('tx').catch(() => [])) ?? []) {
      const tx = parse(TransferSchema, item.value);
      if (tx.ok) roles.addTransfer(tx.value);
      else void profileStore?.deletePending([item.id]).catch(() => {});
    }
    roles.prune();
    explorer = createExplorer({ participant: p, store: profileStore, inference: inferenceClient });
    void explorer.update().catch(() => {}); // the chain counts in status().work
  });
  let explorer: Explorer | null = null;
  const requireExplorer = async (): Promise<Explorer> => {
    await ready;
    if (!explorer) throw new Error('doin is not ready yet: await window.doin.ready first');
    return explorer;
  };
  /** This page's optimae on the main chain (from the chain index: survives reloads and reorgs). */
  const onChain = (): { verified: number; rejected: number } => {
    const p = participant;
    if (!explorer || !p) return { verified: 0, rejected: 0 };
    const counts = explorer.verdictsOf(p.key.publicKey);
    return { verified: counts.accepted, rejected: counts['false-claim'] + counts.stale };
  };
  const requireParticipant = (): NetworkParticipant => {
    if (!participant) throw new Error('doin is not ready yet: await window.doin.ready first');
    return participant;
  };

  return {
    ready,
    participant: requireParticipant,
    roles: () => roles,
    on: hub.on,
    status(): NodeStatus {
      const p = requireParticipant();
      const snap = p.snapshot();
      const state = p.tree.state;
      const counters = roles?.counters;
      const relayProblem =
        snap.relay.status !== 'connected' && snap.relay.lastError
          ? `relay unreachable (${snap.relay.lastError}); retrying, direct peers keep working`
          : null;
      const refused = [...p.validator.recentRejections()]
        .reverse()
        .find((r) => r.topic === 'doin/1/block' && Date.now() - r.at < NOTICE_MS);
      const refusedBlock = refused
        ? `a block from the network was refused (${refused.message}); your chain is unaffected`
        : null;
      const error =
        p.persistenceError() ??
        storageProblem ??
        (counters && Date.now() - counters.lastErrorAt < NOTICE_MS ? counters.lastError : null) ??
        snap.lastSyncError ??
        relayProblem ??
        refusedBlock ??
        (options.warnings?.length ? options.warnings.join('; ') : null);
      return {
        peerId: snap.peerId,
        accountId: p.key.publicKey,
        peers: snap.peers.length,
        connections: snap.connections.map((c) => ({ ...c })),
        head: { ...snap.head },
        backend: backend ?? (compute ? 'measuring' : 'not started'),
        domains: Object.entries(state.domains).map(([id, d]) => ({ id, best: d.bestMetric })),
        contributing,
        balance: state.accounts[p.key.publicKey]?.balance ?? 0,
        chain: chainPace(state, Date.now()),
        mode: 'network',
        simulatedPeers: 0,
        training: null,
        network: {
          id: snap.networkId,
          name: snap.networkName,
          relay: { ...snap.relay },
          syncing: snap.syncing,
        },
        work: {
          domainId,
          proposed: counters?.proposed ?? 0,
          committed: counters?.committed ?? 0,
          votesCast: counters?.votesCast ?? 0,
          blocksMade: counters?.blocksMade ?? 0,
          ...onChain(),
          pool: roles?.pool.size ?? 0,
          dutyCycle: currentDutyCycle,
          activity: counters?.activity ?? 'idle',
          progress: counters?.progress ?? 0,
          measurements: measurements.map((m) => ({ ...m })),
          domainFixed: options.trainDomain !== undefined,
          lastError: counters?.lastError ?? null,
        },
        ...(error ? { error } : {}),
      };
    },
    async start(startOptions = {}) {
      const { dutyCycle } = startOptions;
      if (dutyCycle !== undefined && !(dutyCycle > 0 && dutyCycle <= 1)) {
        throw new Error(`dutyCycle must be in (0, 1], got ${dutyCycle}`);
      }
      await ready;
      const p = requireParticipant();
      if (!roles?.isRunning()) {
        domainId = chooseDomain(p.tree.state, options.trainDomain ?? null) ?? domainId;
      }
      contributing = true;
      if (dutyCycle !== undefined) {
        currentDutyCycle = dutyCycle;
        const clients = await startCompute();
        await Promise.all([
          clients.optimizer.setDutyCycle(dutyCycle),
          clients.evaluator.setDutyCycle(dutyCycle),
        ]);
      }
      roles?.start();
    },
    async stop() {
      contributing = false;
      await roles?.stop();
    },
    async loadLocalData(csv, column) {
      if (contributing) throw new Error('stop contributing before changing the training data');
      await (await startCompute()).optimizer.loadLocalData(csv, column);
    },
    async exportArchive(exportOptions = {}) {
      await ready;
      return requireParticipant().exportArchive(exportOptions.includeIdentity === true);
    },
    async importArchive(bytes, importOptions = {}): Promise<ArchiveImport> {
      await ready;
      const p = requireParticipant();
      const networkId = p.tree.state.networkId;
      const archive = readArchive(bytes, networkId);
      const seed = archive.identitySeed;
      const replace = seed !== undefined && importOptions.replaceIdentity === true;
      if (replace && !profileStore) {
        throw new Error(
          'this page keeps no profile storage, so the identity cannot be replaced; nothing was imported',
        );
      }
      const headBefore = p.tree.head.hash;
      // Signatures checked natively first (same verdicts, less CPU), then the rules, in order.
      await preverifyBlocks(archive.blocks, networkId);
      let replay: ReturnType<typeof replayArchive>;
      try {
        replay = replayArchive(archive, { networkId, add: (block) => p.addBlock(block) });
      } finally {
        void pruneBlobs();
      }
      // A heavier head: tell the peers (they sync the chain behind it from us).
      if (p.tree.head.hash !== headBefore) {
        const head = p.tree.blockAtHeight(p.tree.head.height);
        if (head) void p.publishOwn('block', head).catch(() => {});
      }
      let identityReplaced = false;
      let note: string | undefined;
      if (seed && replace && identitySeed && equalBytes(seed, identitySeed)) {
        note = "the archive's identity is already this page's";
      } else if (seed && replace && profileStore) {
        await profileStore.saveIdentity(seed, { replace: true });
        identityReplaced = true;
        note =
          "the archive's identity is saved to this profile and takes effect after a reload " +
          '(the running page keeps its current identity until then)';
      } else if (seed) {
        note =
          'the archive carries an identity, which was not used: pass { replaceIdentity: true } ' +
          "to replace this profile's identity with it";
      }
      const head = p.tree.head;
      return {
        imported: replay.imported,
        head: { height: head.height, hash: head.hash },
        identityReplaced,
        ...(note ? { note } : {}),
      };
    },
    blocks: async (query) => (await requireExplorer()).blocks(query),
    block: async (id) => (await requireExplorer()).block(id),
    account: async (id) => (await requireExplorer()).account(id),
    metricHistory: async () => (await requireExplorer()).metricHistory(),
    models: async () => (await requireExplorer()).models(),
    examples: async (id) => (await requireExplorer()).examples(id),
    async transfer(address, amount, transferOptions = {}) {
      await ready;
      const to = accountId(address);
      if (!to) {
        throw new Error(
          'transfer not sent: the address is not a peer id (12D3Koo…) or a 64-hex-digit public key',
        );
      }
      const p = requireParticipant();
      const fee = transferOptions.fee ?? 0;
      const memo = transferOptions.memo ?? '';
      if (!roles) throw new Error('doin is not ready yet: await window.doin.ready first');
      const me = p.key.publicKey;
      const state = p.tree.state;
      const account = state.accounts[me];
      // Our transfers still waiting for a block spend nonces and balance too.
      const waiting = [...roles.mempool.values()].filter((tx) => tx.from === me);
      const nonce = Math.max(account?.nonce ?? 0, ...waiting.map((tx) => tx.nonce + 1));
      const committed = waiting.reduce((sum, tx) => sum + tx.amount + tx.fee, 0);
      const body = { type: 'transfer' as const, from: me, to, amount, fee, nonce, memo };
      const checked = parse(TransferSchema, { ...body, signature: '0'.repeat(128) });
      if (!checked.ok) throw new Error(`transfer not sent: ${checked.error}`);
      if (to === me) throw new Error('transfer not sent: that is your own address');
      const available = (account?.balance ?? 0) - committed;
      if (amount + fee > available) {
        throw new Error(
          `transfer not sent: it needs ${amount + fee} base units, the balance has ${Math.max(0, available)} available`,
        );
      }
      const tx = signTransfer(body, p.key, state.networkId);
      // Checked by our own validator and gossiped, then kept for the blocks we make ourselves.
      await p.publishOwn('tx', tx);
      roles.addTransfer(tx);
      if (!roles.mempool.has(mempoolId(tx))) {
        throw new Error('transfer sent to peers, but this page cannot hold it (the pool is full)');
      }
      hub.emit({ type: 'transfer', to, amount, nonce });
      return { from: me, to, amount, fee, nonce };
    },
    async infer(inferDomain, input) {
      await ready;
      const p = requireParticipant();
      if (!p.tree.state.params.domains.some((d) => d.id === inferDomain)) {
        throw new Error(`this network has no domain ${inferDomain}`);
      }
      const best = p.tree.state.domains[inferDomain]?.bestParamsHash;
      if (!best) throw new Error(`${inferDomain} has no verified model on this chain yet`);
      const params = await p.blob(best, '');
      if (!params)
        throw new Error(`the parameters of ${inferDomain}'s best model are not reachable`);
      const client = await inferenceClient(inferDomain);
      const result = await client.infer(params.slice(), input, { paramsHash: best });
      return result.output;
    },
  };
}

/**
 * The profile's store; null (memory only, with a warning) where IndexedDB is unavailable, e.g.
 * some private windows. A store holding another network's chain is refused with a clear error.
 */
async function openStore(profile: string): Promise<ChainStore | null> {
  try {
    return await openChainStore(profile);
  } catch (err) {
    console.warn(`doin: storage unavailable, keeping everything in memory: ${errorText(err)}`);
    return null;
  }
}

const PRUNE_EVERY_MS = 60_000;
/** How long a refused block or a failed role step stays in status().error. */
const NOTICE_MS = 60_000;
const PRUNE_KEEP_OWN_MS = 60 * 60_000;

/** A saved pool entry, validated on load like any input from storage. */
const SavedOptimaeSchema = v.strictObject({
  commit: CommitSchema,
  reveal: v.nullable(RevealSchema),
  votes: v.pipe(v.array(VoteSchema), v.maxLength(LIMITS.maxVotesPerOptimae)),
});

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
