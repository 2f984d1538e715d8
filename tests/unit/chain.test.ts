/**
 * The chain state machine: a realistic chain from the simulated network replays exactly, every
 * rule refuses a block with its own error code, tampering with any field of a block is caught
 * (with or without re-signing the header), malformed input is a schema error, and no refusal
 * ever throws or touches the state it was given.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBlock, thresholdAt } from '../../src/core/builder';
import {
  type ApplyOptions,
  advanceState,
  applyBlock,
  type BlockErrorCode,
  medianTimePast,
} from '../../src/core/chain';
import { genesisState } from '../../src/core/genesis';
import { hashTagged } from '../../src/core/hash';
import { blockReward } from '../../src/core/ledger';
import { EMPTY_MERKLE_ROOT } from '../../src/core/merkle';
import { signHeader, signReveal, signTransfer, signVote } from '../../src/core/objects';
import { quorumOpensAfterMs } from '../../src/core/quorum';
import { effectiveReputation } from '../../src/core/reputation';
import {
  type Block,
  type ChainState,
  LIMITS,
  type Optimae,
  type Transaction,
  type Transfer,
} from '../../src/core/schemas';
import { quadraticDomain } from '../../src/domains/quadratic';
import { assembleBlock, craftOptimae, key, keyOf, replay, reseal, tip } from '../support/blocks';
import { testKey, testParams } from '../support/fixtures';
import { SimNetwork, type SimPeer } from '../support/simulation';

// Signature checks are pure-JS Ed25519: generous limits for slow or busy machines.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const ERROR_CODES: readonly BlockErrorCode[] = [
  'schema',
  'height',
  'prev-hash',
  'signature',
  'timestamp-past',
  'timestamp-future',
  'threshold',
  'optimae-root',
  'tx-root',
  'optimae',
  'increment-sum',
  'below-threshold',
  'coinbase',
  'transaction',
];
const DOMAIN = 'quadratic-16';
const OTHER_HASH = hashTagged('test/other', 'hash');

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item at ${index}`);
  return item;
}

/** Asserts a precise refusal and that the input state was left exactly as it was. */
function expectRejected(
  state: ChainState,
  block: unknown,
  code: BlockErrorCode,
  message?: RegExp,
  options?: ApplyOptions,
): void {
  const before = structuredClone(state);
  const result = applyBlock(state, block, options);
  if (result.ok) throw new Error(`expected ${code}, but the block was accepted`);
  expect(result.error.code, result.error.message).toBe(code);
  if (message) expect(result.error.message).toMatch(message);
  expect(state).toStrictEqual(before);
}

function expectAccepted(state: ChainState, block: unknown, options?: ApplyOptions) {
  const result = applyBlock(state, block, options);
  if (!result.ok)
    throw new Error(`expected acceptance: ${result.error.code} ${result.error.message}`);
  return result;
}

const best = (state: ChainState): number => (state.domains[DOMAIN]?.bestMetric as number) ?? NaN;
const transfersOf = (block: Block): Transfer[] =>
  block.transactions.filter((t): t is Transfer => t.type === 'transfer');

// ---- fixture: a chain made by the simulated network, the last block carrying transfers -------

interface Fixture {
  readonly genesis: ChainState;
  readonly blocks: readonly Block[];
  /** states[h] is the state at height h. */
  readonly states: readonly ChainState[];
  readonly peers: readonly SimPeer[];
  /** The block with transfers (the tip) and its parent state. */
  readonly txBlock: Block;
  readonly txParent: ChainState;
}

async function makeFixture(): Promise<Fixture> {
  const params = testParams();
  const net = new SimNetwork(
    params,
    quadraticDomain,
    ['ada', 'bob', 'cyd', 'dee'].map((name) => ({ name, key: testKey(name) })),
  );
  let round = 0;
  /** One optimization round; returns the next generator. */
  const step = async (): Promise<SimPeer> => {
    net.now += 4_000;
    await net.round(at(net.peers, round % net.peers.length), round);
    round++;
    return at(net.peers, round % net.peers.length);
  };
  while (net.log.blocks.length < 3) {
    if (round > 40) throw new Error('the simulation made no progress');
    net.tryBlock(await step());
  }
  const blocks = net.log.blocks.map((b) => b.block);

  // A block with transfers, built from a peer's pool and delivered to every peer.
  const [ada, bob, eve] = [key('ada'), key('bob'), key('eve')];
  let txBlock: Block | undefined;
  while (!txBlock) {
    if (round > 60) throw new Error('no block with transfers');
    const generator = await step();
    const state = generator.tree.state;
    const nonce = state.accounts[ada.publicKey]?.nonce as number;
    const transfers = [
      signTransfer(
        {
          type: 'transfer',
          from: ada.publicKey,
          to: eve.publicKey,
          amount: 1_000_000,
          fee: 1_000,
          nonce,
          memo: 'first payment',
        },
        ada,
        state.networkId,
      ),
      signTransfer(
        {
          type: 'transfer',
          from: ada.publicKey,
          to: bob.publicKey,
          amount: 2_500,
          fee: 0,
          nonce: nonce + 1,
          memo: '',
        },
        ada,
        state.networkId,
      ),
      signTransfer(
        {
          type: 'transfer',
          from: bob.publicKey,
          to: ada.publicKey,
          amount: 7,
          fee: 3,
          nonce: state.accounts[bob.publicKey]?.nonce as number,
          memo: 'change',
        },
        bob,
        state.networkId,
      ),
    ];
    const built = buildBlock({
      state,
      generator: generator.key,
      timestamp: net.now,
      optimae: [...generator.pool.values()],
      transfers,
    });
    if (!built.ok) continue;
    expect(transfersOf(built.block)).toHaveLength(3);
    for (const peer of net.peers) {
      expect(peer.tree.add(built.block, { now: net.now }).status).toBe('head');
      for (const id of Object.keys(peer.tree.state.recentCommits)) peer.pool.delete(id);
    }
    txBlock = built.block;
  }
  blocks.push(txBlock);
  const genesis = genesisState(params);
  const states = replay(genesis, blocks);
  return {
    genesis,
    blocks,
    states,
    peers: net.peers,
    txBlock,
    txParent: at(states, states.length - 2),
  };
}

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
}, 60_000);

const tipState = (): ChainState => at(fx.states, fx.states.length - 1);

// ---- a valid chain -------------------------------------------------------------------------

describe('a valid chain', () => {
  it('replays from genesis to exactly the state every simulated peer holds', () => {
    const genesis = genesisState(fx.genesis.params);
    const before = structuredClone(genesis);
    const states = replay(genesis, fx.blocks);
    expect(genesis).toStrictEqual(before);
    const final = at(states, states.length - 1);
    expect(final.height).toBe(fx.blocks.length);
    for (const peer of fx.peers) {
      expect(peer.tree.state).toStrictEqual(final);
      expect(peer.tree.mainChain().slice(1)).toStrictEqual(fx.blocks);
    }
  });

  it('moves balances, nonces and fees as the transfers say, and mints exactly the reward', () => {
    const parent = fx.txParent;
    const after = tipState();
    const [ada, bob, eve] = [key('ada'), key('bob'), key('eve')].map((k) => k.publicKey) as [
      string,
      string,
      string,
    ];
    const coinbase = at(fx.txBlock.transactions, 0);
    if (coinbase.type !== 'coinbase') throw new Error('no coinbase');
    const minted = (id: string) => coinbase.outputs.find((o) => o.to === id)?.amount ?? 0;
    const generator = fx.txBlock.header.generator;
    const fees = (id: string) => (id === generator ? 1_000 + 3 : 0);
    const balance = (s: ChainState, id: string) => s.accounts[id]?.balance ?? 0;
    expect(balance(after, ada)).toBe(
      balance(parent, ada) + minted(ada) - 1_001_000 - 2_500 + 7 + fees(ada),
    );
    expect(balance(after, bob)).toBe(balance(parent, bob) + minted(bob) + 2_500 - 10 + fees(bob));
    expect(balance(after, eve)).toBe(1_000_000);
    expect(after.accounts[ada]?.nonce).toBe((parent.accounts[ada]?.nonce ?? 0) + 2);
    expect(after.accounts[bob]?.nonce).toBe((parent.accounts[bob]?.nonce ?? 0) + 1);
    expect(after.accounts[eve]?.nonce).toBe(0);
    const total = (s: ChainState) => Object.values(s.accounts).reduce((t, a) => t + a.balance, 0);
    expect(total(after)).toBe(after.totalSupply);
    expect(after.totalSupply - parent.totalSupply).toBe(blockReward(after.height, after.params));
  });

  it('ends with advanceState: given the verdicts, it alone gives the same result', () => {
    // buildDevChain advances its state with advanceState only, so it must be applyBlock's step.
    let state = genesisState(fx.genesis.params);
    for (const block of fx.blocks) {
      const applied = applyBlock(state, block);
      if (!applied.ok) throw new Error(applied.error.message);
      expect(advanceState(state, block, applied.assessments)).toStrictEqual(applied);
      state = applied.state;
    }
  });

  it('assembleBlock (the test kit) reproduces the builder block bit for bit', () => {
    const b = fx.txBlock;
    const again = assembleBlock(
      fx.txParent,
      keyOf(b.header.generator),
      b.header.timestamp,
      b.optimae,
      transfersOf(b),
    ).block;
    expect(again).toStrictEqual(b);
  });
});

// ---- header rules --------------------------------------------------------------------------

describe('header rules', () => {
  const net = () => fx.txParent.networkId;

  it('height', () => {
    for (const delta of [1, -1, 100]) {
      const block = reseal(fx.txBlock, net(), (b) => {
        b.header.height += delta;
      });
      expectRejected(fx.txParent, block, 'height', /expected/);
    }
  });

  it('prev-hash', () => {
    const grandparent = at(fx.states, fx.states.length - 3).tipHash;
    for (const prevHash of [grandparent, OTHER_HASH]) {
      const block = reseal(fx.txBlock, net(), (b) => {
        b.header.prevHash = prevHash;
      });
      expectRejected(fx.txParent, block, 'prev-hash');
    }
  });

  it('signature: foreign signer, wrong network, swapped generator, zero bytes', () => {
    const parent = fx.txParent;
    const gen = keyOf(fx.txBlock.header.generator);
    const other = key('mallory');
    // Signed by a key other than header.generator.
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), () => {}, { signer: other }),
      'signature',
    );
    // Generator claims to be someone else, signed by the real generator.
    expectRejected(
      parent,
      reseal(
        fx.txBlock,
        net(),
        (b) => {
          b.header.generator = other.publicKey;
        },
        { signer: gen },
      ),
      'signature',
    );
    // The right key, but a signature for another network.
    expectRejected(
      parent,
      { ...fx.txBlock, signature: signHeader(fx.txBlock.header, gen, OTHER_HASH) },
      'signature',
    );
    expectRejected(parent, { ...fx.txBlock, signature: '0'.repeat(128) }, 'signature');
    // The generator's own signature over a different header.
    const sibling = at(fx.blocks, fx.blocks.length - 2);
    expectRejected(parent, { ...fx.txBlock, signature: sibling.signature }, 'signature');
  });

  it('timestamp-past: not after the median time past (just after passes this rule)', () => {
    const parent = fx.txParent;
    const mtp = medianTimePast(parent);
    for (const timestamp of [mtp, mtp - 1, 0]) {
      const block = reseal(fx.txBlock, net(), (b) => {
        b.header.timestamp = timestamp;
      });
      expectRejected(parent, block, 'timestamp-past', /median/);
    }
    // mtp + 1 is before the parent but passes this rule (whatever later rules then say).
    expect(mtp + 1).toBeLessThan(tip(parent).timestamp);
    const later = reseal(fx.txBlock, net(), (b) => {
      b.header.timestamp = mtp + 1;
    });
    const result = applyBlock(parent, later);
    if (!result.ok) expect(result.error.code).not.toBe('timestamp-past');
  });

  it('timestamp-future: only checked against a given clock, with maxFutureDriftMs of slack', () => {
    const parent = fx.txParent;
    const ts = fx.txBlock.header.timestamp;
    const drift = parent.params.time.maxFutureDriftMs;
    expectRejected(parent, fx.txBlock, 'timestamp-future', /future/, { now: ts - drift - 1 });
    expectRejected(parent, fx.txBlock, 'timestamp-future', undefined, { now: 0 });
    expectAccepted(parent, fx.txBlock, { now: ts - drift });
    expectAccepted(parent, fx.txBlock);
  });

  it('threshold: the header must carry exactly what the schedule requires', () => {
    for (const delta of [1, -1]) {
      const block = reseal(fx.txBlock, net(), (b) => {
        b.header.threshold += delta;
      });
      expectRejected(fx.txParent, block, 'threshold', /schedule/);
    }
  });

  it('optimae-root and tx-root', () => {
    const parent = fx.txParent;
    const noRoots = { roots: false };
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => b.optimae.pop(), noRoots),
      'optimae-root',
    );
    expectRejected(
      parent,
      reseal(
        fx.txBlock,
        net(),
        (b) => {
          b.header.optimaeRoot = EMPTY_MERKLE_ROOT;
        },
        noRoots,
      ),
      'optimae-root',
    );
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => b.transactions.reverse(), noRoots),
      'tx-root',
    );
    expectRejected(
      parent,
      reseal(
        fx.txBlock,
        net(),
        (b) => {
          b.header.txRoot = OTHER_HASH;
        },
        noRoots,
      ),
      'tx-root',
    );
  });

  it('increment-sum must equal the verified increments', () => {
    for (const delta of [1, -1]) {
      const block = reseal(fx.txBlock, net(), (b) => {
        b.header.incrementSum += delta;
      });
      expectRejected(fx.txParent, block, 'increment-sum', /verified/);
    }
  });
});

// ---- work: increments, threshold ------------------------------------------------------------

describe('below-threshold', () => {
  it('refuses a block whose verified increments fall short, even if honestly summed', () => {
    const state = tipState();
    const ts = tip(state).timestamp + 4_000;
    const tiny = craftOptimae(state, {
      label: 'tiny',
      optimizer: key('ada'),
      measured: best(state) * (1 - 1e-4),
    });
    const { block, assessments } = assembleBlock(state, key('bob'), ts, [tiny]);
    expect(assessments[0]?.verdict).toBe('accepted');
    expect(block.header.incrementSum).toBeGreaterThan(0);
    expect(block.header.incrementSum).toBeLessThan(block.header.threshold);
    expectRejected(state, block, 'below-threshold');
    // A block with no optimae at all has nothing to show.
    expectRejected(state, assembleBlock(state, key('bob'), ts, []).block, 'below-threshold');
  });

  it('refuses a valid block once the state demands more work than it carries', () => {
    // The same block, against a state whose schedule is above the block's increments.
    const parent = fx.txParent;
    const { incrementSum, timestamp } = fx.txBlock.header;
    // The schedule decays with the time since the parent: raise it until the decayed bar is
    // still above the block's increments.
    let raised: ChainState = { ...parent, threshold: incrementSum + 1 };
    while (thresholdAt(raised, timestamp) <= incrementSum) {
      raised = { ...raised, threshold: raised.threshold * 2 };
    }
    const block = reseal(fx.txBlock, parent.networkId, (b) => {
      b.header.threshold = thresholdAt(raised, timestamp);
    });
    expectRejected(raised, block, 'below-threshold', /below threshold/);
  });
});

// ---- coinbase -------------------------------------------------------------------------------

describe('coinbase', () => {
  const net = () => fx.txParent.networkId;
  const withCoinbase = (modify: (outputs: { to: string; amount: number }[]) => void) =>
    reseal(fx.txBlock, net(), (b) => {
      const coinbase = b.transactions[0];
      if (coinbase?.type !== 'coinbase') throw new Error('no coinbase');
      modify(coinbase.outputs);
    });

  it('refuses a wrong split even when it sums to the reward', () => {
    const block = withCoinbase((outputs) => {
      expect(outputs.length).toBeGreaterThan(1);
      (outputs[0] as { amount: number }).amount -= 1;
      (outputs[1] as { amount: number }).amount += 1;
    });
    expectRejected(fx.txParent, block, 'coinbase', /reward split/);
  });

  it('refuses paying too much, paying a stranger, reordering, or a wrong height', () => {
    const parent = fx.txParent;
    expectRejected(
      parent,
      withCoinbase((o) => {
        (o[0] as { amount: number }).amount += 1;
      }),
      'coinbase',
    );
    expectRejected(
      parent,
      withCoinbase((o) => o.push({ to: key('mallory').publicKey, amount: 1 })),
      'coinbase',
    );
    expectRejected(
      parent,
      withCoinbase((o) => o.reverse()),
      'coinbase',
    );
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => {
        (b.transactions[0] as { height: number }).height += 1;
      }),
      'coinbase',
    );
  });

  it('refuses a block without a coinbase first', () => {
    const parent = fx.txParent;
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => b.transactions.shift()),
      'coinbase',
      /first transaction/,
    );
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => {
        b.transactions = [];
      }),
      'coinbase',
    );
    // The coinbase moved behind a transfer.
    expectRejected(
      parent,
      reseal(fx.txBlock, net(), (b) => b.transactions.push(b.transactions.shift() as Transaction)),
      'coinbase',
    );
  });

  it('refuses a second coinbase as a transaction error', () => {
    const block = reseal(fx.txBlock, net(), (b) =>
      b.transactions.push(structuredClone(b.transactions[0] as Transaction)),
    );
    expectRejected(fx.txParent, block, 'transaction', /second coinbase/);
  });
});

// ---- transfers ------------------------------------------------------------------------------

describe('transaction', () => {
  /** The transfer block's own optimae and generator, with these transfers instead. */
  const withTransfers = (transfers: Transaction[]) =>
    assembleBlock(
      fx.txParent,
      keyOf(fx.txBlock.header.generator),
      fx.txBlock.header.timestamp,
      fx.txBlock.optimae,
      transfers,
    ).block;
  const transfer = (
    from: 'ada' | 'bob' | 'eve',
    body: Partial<Omit<Transfer, 'signature'>> = {},
    signer = key(from),
  ): Transfer => {
    const sender = fx.txParent.accounts[key(from).publicKey];
    return signTransfer(
      {
        type: 'transfer',
        from: key(from).publicKey,
        to: key('cyd').publicKey,
        amount: 100,
        fee: 1,
        nonce: sender?.nonce ?? 0,
        memo: '',
        ...body,
      },
      signer,
      fx.txParent.networkId,
    );
  };

  it('accepts a plain transfer (control)', () => {
    expectAccepted(fx.txParent, withTransfers([transfer('ada')]));
  });

  it('refuses a wrong nonce', () => {
    const nonce = fx.txParent.accounts[key('ada').publicKey]?.nonce as number;
    for (const n of [nonce + 1, nonce + 1000]) {
      expectRejected(
        fx.txParent,
        withTransfers([transfer('ada', { nonce: n })]),
        'transaction',
        /nonce/,
      );
    }
  });

  it('refuses spending more than the balance (amount plus fee), or from an empty account', () => {
    // The coinbase is credited first, so this block's reward counts towards the balance.
    const ada = key('ada').publicKey;
    const coinbase = at(fx.txBlock.transactions, 0);
    if (coinbase.type !== 'coinbase') throw new Error('no coinbase');
    const balance =
      (fx.txParent.accounts[ada]?.balance as number) +
      (coinbase.outputs.find((o) => o.to === ada)?.amount ?? 0);
    expectAccepted(fx.txParent, withTransfers([transfer('ada', { amount: balance - 1, fee: 1 })]));
    expectRejected(
      fx.txParent,
      withTransfers([transfer('ada', { amount: balance + 1, fee: 0 })]),
      'transaction',
      /insufficient/,
    );
    expectRejected(
      fx.txParent,
      withTransfers([transfer('ada', { amount: balance, fee: 1 })]),
      'transaction',
      /insufficient/,
    );
    expect(fx.txParent.accounts[key('eve').publicKey]).toBeUndefined();
    expectRejected(fx.txParent, withTransfers([transfer('eve')]), 'transaction', /insufficient/);
  });

  it('refuses a bad signature, a foreign signer and a transfer to self', () => {
    const good = transfer('ada');
    expectRejected(
      fx.txParent,
      withTransfers([{ ...good, amount: good.amount + 1 }]),
      'transaction',
      /signature/,
    );
    expectRejected(
      fx.txParent,
      withTransfers([transfer('ada', {}, key('bob'))]),
      'transaction',
      /signature/,
    );
    expectRejected(
      fx.txParent,
      withTransfers([transfer('ada', { to: key('ada').publicKey })]),
      'transaction',
      /self/,
    );
  });

  it('applies transfers in order: funds received earlier in the block can be spent', () => {
    const eveSpends = transfer('eve', { to: key('bob').publicKey, amount: 400, fee: 0 });
    const adaPaysEve = transfer('ada', { to: key('eve').publicKey, amount: 500 });
    expectAccepted(fx.txParent, withTransfers([adaPaysEve, eveSpends]));
    expectRejected(
      fx.txParent,
      withTransfers([eveSpends, adaPaysEve]),
      'transaction',
      /transaction 1: insufficient/,
    );
  });

  it('advanceState checks transfers too: one that does not apply is its only refusal', () => {
    const ok = applyBlock(fx.txParent, withTransfers([transfer('ada')]));
    if (!ok.ok) throw new Error(ok.error.message);
    const bad = withTransfers([transfer('ada'), transfer('ada')]); // the same nonce twice
    const before = structuredClone(fx.txParent);
    expect(advanceState(fx.txParent, bad, ok.assessments)).toStrictEqual(
      applyBlock(fx.txParent, bad),
    );
    expect(advanceState(fx.txParent, bad, ok.assessments)).toMatchObject({
      ok: false,
      error: { code: 'transaction', message: expect.stringMatching(/transaction 2: .*nonce/) },
    });
    expect(fx.txParent).toStrictEqual(before);
  });

  it('refuses replaying an included transfer in a later block', () => {
    const state = tipState();
    const honest = craftOptimae(state, {
      label: 'replay-carrier',
      optimizer: key('cyd'),
      measured: best(state) * 0.2,
    });
    const ts = tip(state).timestamp + 60_000;
    const control = assembleBlock(state, key('dee'), ts, [honest]).block;
    expectAccepted(state, control);
    const replayed = assembleBlock(
      state,
      key('dee'),
      ts,
      [honest],
      [at(transfersOf(fx.txBlock), 0)],
    ).block;
    expectRejected(state, replayed, 'transaction', /nonce/);
  });
});

// ---- optimae --------------------------------------------------------------------------------

describe('optimae', () => {
  // On the tip state the network has established evaluators: quorums are selected.
  let state: ChainState;
  let honest: Optimae;
  let ts: number;
  const block = (optimae: Optimae[]) => assembleBlock(state, key('bob'), ts, optimae).block;
  const net = () => state.networkId;
  /** A well-signed vote on the honest optimae by mallory, who is not in its selected quorum. */
  const outsideVote = () =>
    signVote(
      {
        commitId: at(honest.votes, 0).commitId,
        paramsHash: honest.reveal.paramsHash,
        evaluator: key('mallory').publicKey,
        metric: best(state) * 0.2,
      },
      key('mallory'),
      net(),
    );

  beforeAll(() => {
    state = tipState();
    // Late enough for a low threshold, before quorums open (QUORUM_OPENS_AFTER_TARGETS).
    ts = tip(state).timestamp + quorumOpensAfterMs(state.params);
    honest = craftOptimae(state, {
      label: 'honest',
      optimizer: key('ada'),
      measured: best(state) * 0.2,
    });
  });

  it('accepts the honest optimae on its own (control), from a selected quorum', () => {
    expect(tip(state).evaluators.length).toBeGreaterThanOrEqual(3);
    const result = expectAccepted(state, block([honest]));
    expect(result.assessments[0]?.verdict).toBe('accepted');
    expect(result.state.domains[DOMAIN]?.bestMetric).toBe(best(state) * 0.2);
  });

  it('refuses a vote from outside the selected quorum', () => {
    const vote = outsideVote();
    expectRejected(
      state,
      block([{ ...honest, votes: [...honest.votes, vote] }]),
      'optimae',
      /outside the quorum/,
    );
  });

  it('refuses a duplicate vote and the optimizer voting on its own optimae', () => {
    expectRejected(
      state,
      block([{ ...honest, votes: [...honest.votes, at(honest.votes, 0)] }]),
      'optimae',
      /duplicate vote/,
    );
    const own = signVote(
      {
        commitId: at(honest.votes, 0).commitId,
        paramsHash: honest.reveal.paramsHash,
        evaluator: key('ada').publicKey,
        metric: best(state) * 0.2,
      },
      key('ada'),
      net(),
    );
    expectRejected(
      state,
      block([{ ...honest, votes: [own, ...honest.votes] }]),
      'optimae',
      /own optimae/,
    );
  });

  it('refuses votes for other parameters and forged votes', () => {
    const v0 = at(honest.votes, 0);
    const otherParams = signVote(
      { commitId: v0.commitId, paramsHash: OTHER_HASH, evaluator: v0.evaluator, metric: v0.metric },
      keyOf(v0.evaluator),
      net(),
    );
    expectRejected(
      state,
      block([{ ...honest, votes: [otherParams, ...honest.votes.slice(1)] }]),
      'optimae',
      /other parameters/,
    );
    expectRejected(
      state,
      block([{ ...honest, votes: [{ ...v0, metric: v0.metric * 0.5 }, ...honest.votes.slice(1)] }]),
      'optimae',
      /bad vote signature/,
    );
  });

  it('refuses a reveal that does not open the commitment, or that belongs elsewhere', () => {
    const { signature: _s, ...body } = honest.reveal;
    const ada = key('ada');
    expectRejected(
      state,
      block([{ ...honest, reveal: signReveal({ ...body, nonce: OTHER_HASH }, ada, net()) }]),
      'optimae',
      /does not open the commitment/,
    );
    expectRejected(
      state,
      block([{ ...honest, reveal: signReveal({ ...body, paramsHash: OTHER_HASH }, ada, net()) }]),
      'optimae',
      /does not open the commitment/,
    );
    expectRejected(
      state,
      block([{ ...honest, reveal: signReveal({ ...body, commitId: OTHER_HASH }, ada, net()) }]),
      'optimae',
      /another commit/,
    );
    const bob = key('bob');
    expectRejected(
      state,
      block([
        {
          ...honest,
          reveal: signReveal({ ...body, optimizer: bob.publicKey }, bob, net()),
        },
      ]),
      'optimae',
      /not the optimizer/,
    );
    expectRejected(
      state,
      block([{ ...honest, reveal: { ...honest.reveal, signature: honest.commit.signature } }]),
      'optimae',
      /bad reveal signature/,
    );
  });

  it('refuses a forged commit and an unknown domain', () => {
    expectRejected(
      state,
      block([{ ...honest, commit: { ...honest.commit, claimedMetric: 0.001 } }]),
      'optimae',
      /bad commit signature/,
    );
    const elsewhere = craftOptimae(state, {
      label: 'unknown-domain',
      optimizer: key('ada'),
      measured: 0.01,
      domainId: 'no-such-domain',
      voters: [key('bob'), key('cyd')],
    });
    expectRejected(state, block([elsewhere]), 'optimae', /unknown domain/);
  });

  it('refuses a commit whose base is not on this chain or not below the block', () => {
    const offChain = craftOptimae(state, {
      label: 'off-chain',
      optimizer: key('ada'),
      measured: best(state) * 0.2,
      base: { height: state.height, hash: OTHER_HASH },
      voters: [key('bob'), key('cyd'), key('dee')],
    });
    expectRejected(state, block([offChain]), 'optimae', /not on this chain/);
    // A real block hash at the wrong height.
    const shifted = craftOptimae(state, {
      label: 'shifted-base',
      optimizer: key('ada'),
      measured: best(state) * 0.2,
      base: { height: state.height - 1, hash: state.tipHash },
      voters: [key('bob'), key('cyd'), key('dee')],
    });
    expectRejected(state, block([shifted]), 'optimae', /not on this chain/);
    const future = craftOptimae(state, {
      label: 'future-base',
      optimizer: key('ada'),
      measured: best(state) * 0.2,
      base: { height: state.height + 1, hash: OTHER_HASH },
      voters: [key('bob'), key('cyd'), key('dee')],
    });
    expectRejected(state, block([future]), 'optimae', /not below the block/);
  });

  it('refuses the same commit twice within a block and again in a later block', () => {
    expectRejected(state, block([honest, honest]), 'optimae', /already included/);
    const next = expectAccepted(state, block([honest])).state;
    const again = assembleBlock(next, key('cyd'), ts + 60_000, [honest]).block;
    expectRejected(next, again, 'optimae', /already included/);
  });

  it('refuses a quorum that does not agree: spread votes, or a silent majority', () => {
    const m = best(state) * 0.2;
    const spread = craftOptimae(state, {
      label: 'spread',
      optimizer: key('ada'),
      measured: m,
      voteMetrics: [m, m * 1.1, m * 1.2],
    });
    expectRejected(state, block([spread]), 'optimae', /did not agree/);
    // One member of a three-member quorum voting is not a 2/3 majority of the quorum.
    expectRejected(
      state,
      block([{ ...honest, votes: [at(honest.votes, 0)] }]),
      'optimae',
      /did not agree/,
    );
  });

  it('opens quorums after a stall: a silent majority or an outside vote then counts', () => {
    // Liveness: selected members who went away must not stall the chain for good. Decided
    // from the block's own timestamp, so a block one millisecond earlier is still refused.
    const lone = { ...honest, votes: [at(honest.votes, 0)] };
    const opensAt = tip(state).timestamp + quorumOpensAfterMs(state.params);
    const at_ = (t: number, optimae: Optimae[]) =>
      assembleBlock(state, key('bob'), t, optimae).block;
    expectRejected(state, at_(opensAt, [lone]), 'optimae', /did not agree/);
    const accepted = expectAccepted(state, at_(opensAt + 1, [lone]));
    expect(at(accepted.assessments, 0)).toMatchObject({ verdict: 'accepted', quorumMode: 'open' });
    const outside = outsideVote();
    expectRejected(state, at_(opensAt, [{ ...honest, votes: [outside] }]), 'optimae', /outside/);
    expectAccepted(state, at_(opensAt + 1, [{ ...honest, votes: [outside] }]));
    // Open still means at most K votes, and a false claim is still a false claim.
    const crowd = [...honest.votes, outside];
    expect(crowd.length).toBeGreaterThan(state.params.quorum.size);
    expectRejected(state, at_(opensAt + 1, [{ ...honest, votes: crowd }]), 'optimae', /too many/);
  });

  it('accepts an outlier within a 2/3 majority and costs it reputation', () => {
    const m = best(state) * 0.2;
    const optimae = craftOptimae(state, {
      label: 'outlier',
      optimizer: key('ada'),
      measured: m,
      voteMetrics: [m, m, m * 1.5],
    });
    const outlier = at(optimae.votes, 2).evaluator;
    const result = expectAccepted(state, block([optimae]));
    const a = at(result.assessments, 0);
    expect(a.outliers).toEqual([outlier]);
    expect(a.agreeing).toHaveLength(2);
    const height = state.height + 1;
    const before = effectiveReputation(state.accounts[outlier], height, state.params);
    expect(result.state.accounts[outlier]?.reputation).toBe(
      Math.max(0, before - state.params.reputation.outlierPenalty),
    );
  });

  it('in an open (bootstrap) quorum, refuses more than K votes', () => {
    // Commits built on genesis have an open quorum: there were no evaluators yet.
    const open = craftOptimae(state, {
      label: 'open',
      optimizer: key('ada'),
      measured: best(state) * 0.2,
      base: { height: 0, hash: fx.genesis.tipHash },
      voters: [key('bob'), key('cyd'), key('dee'), key('eve')],
    });
    expectRejected(state, block([open]), 'optimae', /too many votes/);
    expectAccepted(state, block([{ ...open, votes: open.votes.slice(0, 3) }]));
  });

  it('refuses an expired commit (and accepts one exactly at the limit)', () => {
    const params = testParams({
      quorum: { size: 3, commitExpiryBlocks: 1 },
    });
    const g = genesisState(params);
    const initial = best(g);
    const first = craftOptimae(g, { label: 'x1', optimizer: key('ada'), measured: initial * 0.5 });
    const late = craftOptimae(g, { label: 'x2', optimizer: key('bob'), measured: initial * 0.2 });
    const built = buildBlock({
      state: g,
      generator: key('cyd'),
      timestamp: params.genesisTimestamp + 10_000,
      optimae: [first],
    });
    if (!built.ok) throw new Error(built.reason);
    const s1 = expectAccepted(g, built.block).state;
    const ts2 = params.genesisTimestamp + 70_000;
    // Base 0, block 2: 2 - 0 > 1.
    expectRejected(s1, assembleBlock(s1, key('cyd'), ts2, [late]).block, 'optimae', /expired/);
    // Base 1, block 2: exactly commitExpiryBlocks above its base.
    const timely = craftOptimae(s1, {
      label: 'x3',
      optimizer: key('bob'),
      measured: initial * 0.2,
    });
    expectAccepted(s1, assembleBlock(s1, key('cyd'), ts2, [timely]).block);
  });
});

// ---- verdicts -------------------------------------------------------------------------------

describe('verdicts', () => {
  it('a false claim earns nothing and costs the claimant reputation', () => {
    const state = tipState();
    const ts = tip(state).timestamp + 60_000;
    const height = state.height + 1;
    const liar = key('ada');
    const measured = best(state) * 0.3;
    const lie = craftOptimae(state, {
      label: 'lie',
      optimizer: liar,
      measured,
      claimed: measured * 0.1,
    });
    const honest = craftOptimae(state, {
      label: 'truth',
      optimizer: key('bob'),
      measured: best(state) * 0.2,
    });
    const { block } = assembleBlock(state, key('cyd'), ts, [lie, honest]);
    const result = expectAccepted(state, block);
    const [a, b] = result.assessments as [
      (typeof result.assessments)[number],
      (typeof result.assessments)[number],
    ];
    expect(a.verdict).toBe('false-claim');
    expect(a.increment).toBe(0);
    expect(a.verifiedMetric).toBe(measured);
    expect(b.verdict).toBe('accepted');
    expect(block.header.incrementSum).toBe(b.increment);
    // The domain's best comes from the honest one; the lie never becomes the best.
    expect(result.state.domains[DOMAIN]?.bestMetric).toBe(best(state) * 0.2);
    expect(result.state.domains[DOMAIN]?.bestParamsHash).toBe(honest.reveal.paramsHash);

    const rep = state.params.reputation;
    const before = effectiveReputation(state.accounts[liar.publicKey], height, state.params);
    expect(before).toBeGreaterThan(rep.falseClaimPenalty);
    const votedWith = b.agreeing.filter((id) => id === liar.publicKey).length;
    expect(result.state.accounts[liar.publicKey]?.reputation).toBe(
      before - rep.falseClaimPenalty + votedWith * rep.perAgreeingVote,
    );
    // No optimizer share for the liar: only the evaluator shares it earned by voting. The
    // evaluators who measured the lie honestly are paid like any agreeing vote.
    const coinbase = at(block.transactions, 0);
    if (coinbase.type !== 'coinbase') throw new Error('no coinbase');
    const paid = coinbase.outputs.find((o) => o.to === liar.publicKey)?.amount ?? 0;
    const reward = blockReward(height, state.params);
    const { optimizerBps, generatorBps } = state.params.reward;
    const evaluatorPool =
      reward -
      Math.floor((reward * optimizerBps) / 10_000) -
      Math.floor((reward * generatorBps) / 10_000);
    const agreeing = [...a.agreeing, ...b.agreeing];
    const perVote = Math.floor(evaluatorPool / agreeing.length);
    expect(paid).toBe(perVote * agreeing.filter((id) => id === liar.publicKey).length);
  });

  it('an honest optimae overtaken by a better one is stale: no increment, no penalty', () => {
    const state = tipState();
    const t1 = tip(state).timestamp + 60_000;
    const winner = craftOptimae(state, {
      label: 'winner',
      optimizer: key('bob'),
      measured: best(state) * 0.2,
    });
    // Built on the same base, better than the current best but worse than the winner.
    const overtaken = craftOptimae(state, {
      label: 'overtaken',
      optimizer: key('cyd'),
      measured: best(state) * 0.3,
    });
    const s1 = expectAccepted(state, assembleBlock(state, key('dee'), t1, [winner]).block).state;
    const carrier = craftOptimae(s1, {
      label: 'carrier',
      optimizer: key('dee'),
      measured: best(s1) * 0.2,
    });
    const { block } = assembleBlock(s1, key('ada'), t1 + 60_000, [overtaken, carrier]);
    const result = expectAccepted(s1, block);
    const [a, b] = result.assessments as [
      (typeof result.assessments)[number],
      (typeof result.assessments)[number],
    ];
    expect(a.verdict).toBe('stale');
    expect(a.increment).toBe(0);
    expect(b.verdict).toBe('accepted');
    const cyd = key('cyd').publicKey;
    const before = effectiveReputation(s1.accounts[cyd], s1.height + 1, s1.params);
    const votes = b.agreeing.filter((id) => id === cyd).length;
    expect(result.state.accounts[cyd]?.reputation).toBe(
      before + votes * s1.params.reputation.perAgreeingVote,
    );
    expect(result.state.domains[DOMAIN]?.bestMetric).toBe(best(s1) * 0.2);
  });
});

// ---- tampering ------------------------------------------------------------------------------

type Path = readonly (string | number)[];

function leafPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
}

function setAt<T>(value: T, path: Path, leaf: unknown): T {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = leaf;
  return copy;
}

const hexOf = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/** A different value of the same schema type as the leaf at `path`. */
function replacement(path: Path, old: unknown): fc.Arbitrary<unknown> {
  const field = path[path.length - 1];
  const differs = (v: unknown) => v !== old;
  if (field === 'version') return fc.constantFrom(0, 2, 3);
  if (field === 'type') return fc.constant(old === 'coinbase' ? 'transfer' : 'coinbase');
  if (typeof old === 'string') {
    if (/^[0-9a-f]{64}$/.test(old)) return hexOf(32).filter(differs);
    if (/^[0-9a-f]{128}$/.test(old)) return hexOf(64).filter(differs);
    if (field === 'domainId') return fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,47}$/).filter(differs);
    if (field === 'memo') return fc.string({ maxLength: LIMITS.maxMemoLength }).filter(differs);
    throw new Error(`no generator for ${path.join('.')}`);
  }
  if (typeof old === 'number') {
    if (field === 'metric' || field === 'claimedMetric') {
      return fc
        .oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.double({ min: -1e-3, max: 1e-3, noNaN: true }).map((d) => old * (1 + d)),
        )
        .filter(
          (v) =>
            v !== old &&
            !Object.is(v, -0) &&
            // Canonical numbers only: an integral float beyond 2^53 has no canonical encoding.
            (!Number.isInteger(v) || Number.isSafeInteger(v)),
        );
    }
    const min = field === 'amount' ? 1 : 0;
    return fc
      .oneof(
        fc.integer({ min: -3, max: 3 }).map((d) => old + d),
        fc.integer({ min, max: Number.MAX_SAFE_INTEGER }),
      )
      .filter((v) => v !== old && v >= min);
  }
  throw new Error(`unexpected leaf at ${path.join('.')}`);
}

/** The error a tampered leaf must produce, or null where a re-signed change is a new valid block. */
function expectedCode(path: Path, resigned: boolean): BlockErrorCode {
  const [top, second] = path;
  const field = path[path.length - 1];
  if (field === 'version' || field === 'type') return 'schema';
  if (top === 'header') {
    if (field === 'height') return 'height';
    if (field === 'prevHash') return 'prev-hash';
    if (!resigned) return 'signature';
    const byField: Record<string, BlockErrorCode> = {
      generator: 'signature',
      threshold: 'threshold',
      incrementSum: 'increment-sum',
      optimaeRoot: 'optimae-root',
      txRoot: 'tx-root',
    };
    return byField[field as string] as BlockErrorCode;
  }
  if (top === 'signature') return 'signature';
  if (top === 'optimae') return resigned ? 'optimae' : 'optimae-root';
  if (top === 'transactions') {
    if (!resigned) return 'tx-root';
    return second === 0 ? 'coinbase' : 'transaction';
  }
  throw new Error(`unexpected path ${path.join('.')}`);
}

describe('a block with any field tampered is rejected with a specific error', () => {
  const tampered = (resign: boolean) => {
    const paths = leafPaths(fx.txBlock).filter(
      (p) =>
        !resign ||
        // Re-signing overwrites the signature; a re-signed timestamp is just another block time.
        !(p[0] === 'signature' || (p[0] === 'header' && p[1] === 'timestamp')),
    );
    return fc
      .constantFrom(...paths)
      .chain((path) =>
        replacement(path, getAt(fx.txBlock, path)).map((value) => ({ path, value })),
      );
  };

  const check = (resign: boolean) => {
    const parent = fx.txParent;
    const before = structuredClone(parent);
    const generator = keyOf(fx.txBlock.header.generator);
    const seen = new Set<BlockErrorCode>();
    fc.assert(
      fc.property(tampered(resign), ({ path, value }) => {
        let block = setAt(fx.txBlock, path, value);
        if (resign) {
          const isRoot =
            path[0] === 'header' && (path[1] === 'optimaeRoot' || path[1] === 'txRoot');
          block = reseal(block, parent.networkId, () => {}, { roots: !isRoot, signer: generator });
        }
        const result = applyBlock(parent, block);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(ERROR_CODES).toContain(result.error.code);
        expect(result.error.code, `${path.join('.')}: ${result.error.message}`).toBe(
          expectedCode(path, resign),
        );
        seen.add(result.error.code);
      }),
      { numRuns: 100, seed: resign ? 0x5eed2 : 0x5eed1 },
    );
    expect(parent).toStrictEqual(before);
    return seen;
  };

  it('without re-signing: schema, height, prev-hash, signature or a merkle root', () => {
    const seen = check(false);
    for (const code of ['signature', 'optimae-root', 'tx-root'] as const) {
      expect(seen).toContain(code);
    }
  });

  it('re-signed with fresh merkle roots: the deeper rules catch it', () => {
    const seen = check(true);
    for (const code of ['optimae', 'coinbase', 'transaction'] as const) {
      expect(seen).toContain(code);
    }
  });
});

// ---- malformed input ------------------------------------------------------------------------

describe('malformed input', () => {
  const valid = () => structuredClone(fx.txBlock) as unknown as Record<string, unknown>;
  const mutated = (path: Path, value: unknown) => setAt(valid(), path, value);

  it('is a schema error and never throws', () => {
    const optimae = at(fx.txBlock.optimae, 0);
    const cases: [string, unknown][] = [
      ['null', null],
      ['undefined', undefined],
      ['a string', 'block'],
      ['a number', 42],
      ['an array', [fx.txBlock]],
      ['an empty object', {}],
      ['extra top-level key', { ...valid(), extra: 1 }],
      ['extra header key', mutated(['header', 'extra'], 0)],
      ['extra optimae key', mutated(['optimae', 0, 'extra'], true)],
      ['extra vote key', mutated(['optimae', 0, 'votes', 0, 'note'], 'x')],
      ['extra transfer key', mutated(['transactions', 1, 'extra'], 'x')],
      ['missing header field', { ...valid(), header: { ...fx.txBlock.header, txRoot: undefined } }],
      ['missing signature', { ...valid(), signature: undefined }],
      ['height as a string', mutated(['header', 'height'], String(fx.txBlock.header.height))],
      ['timestamp as a string', mutated(['header', 'timestamp'], '1767225600000')],
      ['amount as a string', mutated(['transactions', 1, 'amount'], '5')],
      ['metric as a string', mutated(['optimae', 0, 'votes', 0, 'metric'], '0.5')],
      ['fractional height', mutated(['header', 'height'], 1.5)],
      ['negative fee', mutated(['transactions', 1, 'fee'], -1)],
      ['zero amount', mutated(['transactions', 1, 'amount'], 0)],
      ['unsafe integer', mutated(['header', 'timestamp'], 2 ** 53)],
      ['NaN metric', mutated(['optimae', 0, 'votes', 0, 'metric'], Number.NaN)],
      ['infinite metric', mutated(['optimae', 0, 'commit', 'claimedMetric'], Infinity)],
      ['negative zero metric', mutated(['optimae', 0, 'votes', 0, 'metric'], -0)],
      ['negative zero in the header', mutated(['header', 'incrementSum'], -0)],
      ['negative zero fee', mutated(['transactions', 1, 'fee'], -0)],
      ['uppercase hex', mutated(['header', 'prevHash'], fx.txBlock.header.prevHash.toUpperCase())],
      ['short hash', mutated(['header', 'txRoot'], 'ab')],
      ['short signature', mutated(['signature'], fx.txBlock.signature.slice(2))],
      ['unknown transaction type', mutated(['transactions', 1, 'type'], 'mint')],
      ['votes not an array', mutated(['optimae', 0, 'votes'], {})],
      ['no votes', mutated(['optimae', 0, 'votes'], [])],
      ['memo too long', mutated(['transactions', 1, 'memo'], 'x'.repeat(LIMITS.maxMemoLength + 1))],
      ['lone surrogate in a memo', mutated(['transactions', 1, 'memo'], '\ud800')],
      [
        'too many optimae',
        mutated(['optimae'], Array(LIMITS.maxOptimaePerBlock + 1).fill(optimae)),
      ],
      [
        'too many votes',
        mutated(
          ['optimae', 0, 'votes'],
          Array(LIMITS.maxVotesPerOptimae + 1).fill(at(optimae.votes, 0)),
        ),
      ],
      [
        'too many transactions',
        mutated(
          ['transactions'],
          Array(LIMITS.maxTransactionsPerBlock + 2).fill(at(fx.txBlock.transactions, 1)),
        ),
      ],
      [
        'too many coinbase outputs',
        mutated(
          ['transactions', 0, 'outputs'],
          Array(LIMITS.maxCoinbaseOutputs + 1).fill({ to: key('ada').publicKey, amount: 1 }),
        ),
      ],
    ];
    for (const [name, input] of cases) {
      const before = structuredClone(fx.txParent);
      let result: ReturnType<typeof applyBlock> | undefined;
      expect(() => {
        result = applyBlock(fx.txParent, input);
      }, name).not.toThrow();
      expect(result?.ok, name).toBe(false);
      if (result && !result.ok) expect(result.error.code, name).toBe('schema');
      expect(fx.txParent).toStrictEqual(before);
    }
  });

  it('never throws on arbitrary JSON-like input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const result = applyBlock(fx.txParent, input);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.code).toBe('schema');
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
