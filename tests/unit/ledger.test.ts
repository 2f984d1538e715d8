import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTransfer } from '../../src/core/chain';
import type { AccountId, KeyPair } from '../../src/core/crypto';
import { networkIdOf } from '../../src/core/genesis';
import { blockReward, checkTransfer, coinbaseOutputs, emptyAccount } from '../../src/core/ledger';
import { signTransfer } from '../../src/core/objects';
import type { OptimaeAssessment } from '../../src/core/poo';
import type { AccountState, NetworkParams, Transfer } from '../../src/core/schemas';
import { testKey, testParams } from '../support/fixtures';

const params = testParams();
const NET = networkIdOf(params);
const OTHER_NET = networkIdOf(testParams({ name: 'doin-other' }));

const withReward = (reward: Partial<NetworkParams['reward']>): NetworkParams =>
  testParams({ reward: { ...params.reward, ...reward } });

// ---- block reward --------------------------------------------------------------------------

describe('blockReward', () => {
  it('pays nothing for genesis, the initial reward up to the first halving, then halves', () => {
    const { initial, halvingInterval } = params.reward;
    expect(blockReward(0, params)).toBe(0);
    expect(blockReward(1, params)).toBe(initial);
    expect(blockReward(halvingInterval, params)).toBe(initial);
    expect(blockReward(halvingInterval + 1, params)).toBe(initial / 2);
    expect(blockReward(2 * halvingInterval, params)).toBe(initial / 2);
    expect(blockReward(2 * halvingInterval + 1, params)).toBe(initial / 4);
  });

  it('halves exactly (floored) every halvingInterval blocks, never increases, reaches 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (initial, halvingInterval, h) => {
          const p = withReward({ initial, halvingInterval });
          const r = blockReward(h, p);
          expect(Number.isSafeInteger(r) && r >= 0 && r <= initial).toBe(true);
          expect(blockReward(h + halvingInterval, p)).toBe(Math.floor(r / 2));
          expect(blockReward(h + 1, p)).toBeLessThanOrEqual(r);
          // Within one era the reward is constant.
          const eraStart = h - ((h - 1) % halvingInterval);
          expect(blockReward(eraStart, p)).toBe(r);
          expect(blockReward(eraStart + halvingInterval - 1, p)).toBe(r);
          // 53 halvings take any safe integer to 0, and it stays there.
          expect(blockReward(1 + 53 * halvingInterval, p)).toBe(0);
          expect(blockReward(1 + 1_000 * halvingInterval, p)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mints a finite total below 2 × initial × halvingInterval', () => {
    const p = withReward({ initial: 1_000, halvingInterval: 3 });
    let total = 0;
    for (let h = 1; h <= 200; h++) total += blockReward(h, p);
    expect(total).toBe(3 * (1000 + 500 + 250 + 125 + 62 + 31 + 15 + 7 + 3 + 1));
    expect(blockReward(31, p)).toBe(0);
    expect(blockReward(30, p)).toBe(1);
  });
});

// ---- coinbase split --------------------------------------------------------------------------

const hex64 = (n: number) => n.toString(16).padStart(64, '0');
const OPTIMIZERS = [1, 2, 3, 4].map((n) => hex64(0x10 + n));
const EVALUATORS = [1, 2, 3, 4, 5].map((n) => hex64(0x20 + n));
const GENERATOR = hex64(0x30);
const EVERYONE = [...OPTIMIZERS, ...EVALUATORS, GENERATOR];

const assessment = (who: { optimizers: string[]; evaluators: string[] }) =>
  fc
    .record({
      optimizer: fc.constantFrom(...who.optimizers),
      increment: fc.oneof(
        fc.constant(0),
        fc.nat({ max: 1_000 }),
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
      ),
      agreeing: fc.subarray(who.evaluators),
      outliers: fc.subarray(who.evaluators, { maxLength: 1 }),
    })
    .map(
      (a): OptimaeAssessment => ({
        commitId: hex64(a.increment),
        domainId: 'quadratic-16',
        paramsHash: hex64(0xff),
        verdict: a.increment > 0 ? 'accepted' : 'stale',
        verifiedMetric: 0.5,
        quorumMode: 'selected',
        ...a,
      }),
    );

const sumOf = (xs: readonly { amount: number }[]) => xs.reduce((s, x) => s + x.amount, 0);

describe('coinbaseOutputs', () => {
  it('always pays exactly the block reward in sorted, positive, unique outputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * params.reward.halvingInterval }),
        fc.constantFrom(...EVERYONE),
        fc.array(assessment({ optimizers: EVERYONE, evaluators: EVERYONE }), { maxLength: 8 }),
        (height, generator, assessments) => {
          const outputs = coinbaseOutputs(height, generator, assessments, params);
          expect(sumOf(outputs)).toBe(blockReward(height, params));
          for (const [i, o] of outputs.entries()) {
            expect(Number.isSafeInteger(o.amount) && o.amount > 0).toBe(true);
            if (i > 0) expect((outputs[i - 1] as { to: string }).to < o.to).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(coinbaseOutputs(0, GENERATOR, [], params)).toEqual([]);
  });

  it('splits by role: generator share + dust, optimizers by increment, equal shares per vote', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * params.reward.halvingInterval }),
        fc.array(assessment({ optimizers: OPTIMIZERS, evaluators: EVALUATORS }), {
          maxLength: 8,
        }),
        (height, assessments) => {
          const reward = blockReward(height, params);
          const outputs = coinbaseOutputs(height, GENERATOR, assessments, params);
          const paid = new Map(outputs.map((o) => [o.to, o.amount]));
          const optimizerPool = Math.floor((reward * params.reward.optimizerBps) / 10_000);
          const generatorPart = Math.floor((reward * params.reward.generatorBps) / 10_000);
          const evaluatorPool = reward - optimizerPool - generatorPart;

          // Optimizers: exact floor(pool × increment / total), summed per optimizer (BigInt).
          const total = assessments.reduce((s, a) => s + BigInt(a.increment), 0n);
          let optimizersPaid = 0;
          for (const o of OPTIMIZERS) {
            const increments = assessments.filter((a) => a.optimizer === o).map((a) => a.increment);
            const expected =
              total === 0n
                ? 0
                : increments.reduce(
                    (s, inc) => s + Number((BigInt(optimizerPool) * BigInt(inc)) / total),
                    0,
                  );
            expect(paid.get(o) ?? 0).toBe(expected);
            optimizersPaid += expected;
            // Proportional to the optimizer's share of the increments, up to rounding.
            if (total > 0n) {
              const share = increments.reduce((s, x) => s + x, 0) / Number(total);
              expect(Math.abs(expected - optimizerPool * share)).toBeLessThanOrEqual(
                increments.length + 1e-6 * optimizerPool,
              );
            }
          }
          // Evaluators: the same amount for every agreeing vote; outliers earn nothing.
          const votes = assessments.flatMap((a) => a.agreeing);
          const perVote = votes.length > 0 ? Math.floor(evaluatorPool / votes.length) : 0;
          let evaluatorsPaid = 0;
          for (const e of EVALUATORS) {
            const count = votes.filter((v) => v === e).length;
            expect(paid.get(e) ?? 0).toBe(perVote * count);
            evaluatorsPaid += perVote * count;
          }
          // Generator: its share plus every unassigned unit.
          const generator = paid.get(GENERATOR) ?? 0;
          expect(generator).toBe(reward - optimizersPaid - evaluatorsPaid);
          expect(generator).toBeGreaterThanOrEqual(generatorPart);
          const dust = generator - generatorPart;
          const idlePools =
            (total === 0n ? optimizerPool : 0) + (votes.length === 0 ? evaluatorPool : 0);
          expect(dust - idlePools).toBeGreaterThanOrEqual(0);
          expect(dust - idlePools).toBeLessThan(assessments.length + votes.length + 1);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('merges the shares of an account that plays several roles', () => {
    const who = OPTIMIZERS[0] as string;
    const outputs = coinbaseOutputs(
      1,
      who,
      [
        {
          commitId: hex64(1),
          domainId: 'quadratic-16',
          optimizer: who,
          paramsHash: hex64(2),
          verdict: 'accepted',
          verifiedMetric: 0.1,
          increment: 10,
          agreeing: [who, EVALUATORS[0] as string],
          outliers: [],
          quorumMode: 'selected',
        },
      ],
      params,
    );
    expect(outputs).toEqual(
      [
        { to: who, amount: 5_000_000_000 - 500_000_000 },
        { to: EVALUATORS[0] as string, amount: 500_000_000 },
      ].sort((a, b) => (a.to < b.to ? -1 : 1)),
    );
  });
});

// ---- transfers -------------------------------------------------------------------------------

const KEYS = ['ada', 'bob', 'cyd', 'dee'].map(testKey);
const MINER = testKey('miner');

/** A ledger seeded the way applyBlock does it: coinbase outputs credited to accounts. */
function seededLedger(): Record<AccountId, AccountState> {
  const accounts: Record<AccountId, AccountState> = {};
  const [ada, bob, cyd] = KEYS as [KeyPair, KeyPair, KeyPair];
  const credit = (height: number, generator: KeyPair, optimizer: KeyPair, voters: KeyPair[]) => {
    const outputs = coinbaseOutputs(
      height,
      generator.publicKey,
      [
        {
          commitId: hex64(height),
          domainId: 'quadratic-16',
          optimizer: optimizer.publicKey,
          paramsHash: hex64(height),
          verdict: 'accepted',
          verifiedMetric: 0.5,
          increment: 1_000,
          quorumMode: 'selected',
          agreeing: voters.map((v) => v.publicKey),
          outliers: [],
        },
      ],
      params,
    );
    for (const out of outputs) {
      const acc = accounts[out.to] ?? emptyAccount(height);
      accounts[out.to] = { ...acc, balance: acc.balance + out.amount };
    }
  };
  credit(1, ada, bob, [cyd]);
  credit(2, cyd, ada, [bob, cyd]);
  credit(3, bob, cyd, [ada]);
  // dee starts with nothing: transfers from dee fail until someone pays dee.
  return accounts;
}

type Sig = 'good' | 'other-signer' | 'other-network' | 'tampered';
interface Step {
  from: number;
  to: number;
  /** Fraction of the sender's balance; above 1 overdraws. */
  amountFrac: number;
  fee: number;
  nonceOffset: number;
  sig: Sig;
  generator: number;
}

const step: fc.Arbitrary<Step> = fc.record({
  from: fc.nat({ max: KEYS.length - 1 }),
  to: fc.nat({ max: KEYS.length - 1 }),
  amountFrac: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1.5)),
  fee: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.nat({ max: 1_000_000 })),
  nonceOffset: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1, 2) },
  ),
  sig: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Sig>('good') },
    { weight: 1, arbitrary: fc.constantFrom<Sig>('other-signer', 'other-network', 'tampered') },
  ),
  generator: fc.nat({ max: KEYS.length }), // KEYS.length = a miner holding nothing yet
});

function makeTransfer(s: Step, accounts: Record<AccountId, AccountState>): Transfer {
  const from = KEYS[s.from] as KeyPair;
  const to = KEYS[s.to] as KeyPair;
  const sender = accounts[from.publicKey];
  const balance = sender?.balance ?? 0;
  const body = {
    type: 'transfer' as const,
    from: from.publicKey,
    to: to.publicKey,
    amount: Math.max(1, Math.floor(balance * s.amountFrac)),
    fee: s.fee,
    nonce: Math.max(0, (sender?.nonce ?? 0) + s.nonceOffset),
    memo: 'test',
  };
  switch (s.sig) {
    case 'good':
      return signTransfer(body, from, NET);
    case 'other-signer':
      return signTransfer(body, KEYS[(s.from + 1) % KEYS.length] as KeyPair, NET);
    case 'other-network':
      return signTransfer(body, from, OTHER_NET);
    case 'tampered':
      return { ...signTransfer(body, from, NET), amount: body.amount + 1 };
  }
}

const totalBalance = (accounts: Record<AccountId, AccountState>) =>
  Object.values(accounts).reduce((s, a) => s + a.balance, 0);

describe('applyTransfer / checkTransfer', () => {
  it('conserve the total, never overdraw, and refuse invalid transfers without effect', () => {
    const seeded = seededLedger();
    const supply = totalBalance(seeded);
    expect(supply).toBe(3 * params.reward.initial);
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const accounts = structuredClone(seeded);
        for (const s of steps) {
          const tx = makeTransfer(s, accounts);
          const generator = s.generator < KEYS.length ? (KEYS[s.generator] as KeyPair) : MINER;
          const before = structuredClone(accounts);
          const sender = before[tx.from];
          // Independent expectation.
          const selfTransfer = tx.from === tx.to;
          const nonceOk = tx.nonce === (sender?.nonce ?? 0);
          const fundsOk = tx.amount + tx.fee <= (sender?.balance ?? 0);
          const sigOk = s.sig === 'good';
          const check = checkTransfer(tx, sender);
          expect(check.ok).toBe(!selfTransfer && nonceOk && fundsOk);

          const error = applyTransfer(tx, accounts, generator.publicKey, NET, 4);
          if (sigOk && check.ok) {
            applied++;
            expect(error).toBeNull();
            const expected = structuredClone(before);
            const bump = (id: AccountId, delta: number) => {
              const acc = expected[id] ?? emptyAccount(4);
              expected[id] = { ...acc, balance: acc.balance + delta };
            };
            bump(tx.from, -tx.amount - tx.fee);
            expected[tx.from] = {
              ...(expected[tx.from] as AccountState),
              nonce: (sender as AccountState).nonce + 1,
            };
            bump(tx.to, tx.amount);
            if (tx.fee > 0) bump(generator.publicKey, tx.fee);
            expect(accounts).toEqual(expected);
          } else {
            refused++;
            expect(error).toEqual(expect.any(String));
            if (!sigOk) expect(error).toMatch(/signature/);
            else if (selfTransfer) expect(error).toMatch(/self/);
            else if (!nonceOk) expect(error).toMatch(/nonce/);
            else expect(error).toMatch(/insufficient balance/);
            expect(accounts).toEqual(before);
          }
          expect(totalBalance(accounts)).toBe(supply);
          for (const acc of Object.values(accounts)) {
            expect(Number.isSafeInteger(acc.balance) && acc.balance >= 0).toBe(true);
          }
        }
      }),
      { numRuns: 25 },
    );
    // The mix really exercised both outcomes.
    expect(applied).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  }, 30_000);

  it('refuses each invalid kind with a precise error and changes nothing', () => {
    const accounts = seededLedger();
    const [ada, bob, , dee] = KEYS as [KeyPair, KeyPair, KeyPair, KeyPair];
    const base = {
      type: 'transfer' as const,
      from: ada.publicKey,
      to: bob.publicKey,
      amount: 100,
      fee: 5,
      nonce: 0,
      memo: '',
    };
    const snapshot = structuredClone(accounts);
    const refuse = (tx: Transfer, pattern: RegExp) => {
      expect(applyTransfer(tx, accounts, MINER.publicKey, NET, 4)).toMatch(pattern);
      expect(accounts).toEqual(snapshot);
    };
    refuse(signTransfer({ ...base, nonce: 1 }, ada, NET), /nonce 1, expected 0/);
    refuse(signTransfer({ ...base, to: ada.publicKey }, ada, NET), /self/);
    const adaBalance = (accounts[ada.publicKey] as AccountState).balance;
    refuse(signTransfer({ ...base, amount: adaBalance }, ada, NET), /insufficient/);
    refuse(signTransfer({ ...base, amount: adaBalance - 4 }, ada, NET), /insufficient/);
    refuse(signTransfer({ ...base, from: dee.publicKey }, dee, NET), /insufficient/);
    refuse(signTransfer(base, bob, NET), /signature/);
    refuse(signTransfer(base, ada, OTHER_NET), /signature/);
    refuse({ ...signTransfer(base, ada, NET), fee: 0 }, /signature/);

    // The exact balance (amount + fee) is spendable; the fee goes to the generator.
    const all = signTransfer({ ...base, amount: adaBalance - 5 }, ada, NET);
    expect(applyTransfer(all, accounts, MINER.publicKey, NET, 4)).toBeNull();
    expect(accounts[ada.publicKey]).toMatchObject({ balance: 0, nonce: 1 });
    expect(accounts[MINER.publicKey]).toEqual({ ...emptyAccount(4), balance: 5 });
    expect(totalBalance(accounts)).toBe(totalBalance(snapshot));
    // Even the smallest fee reaches the generator.
    const tip = signTransfer(
      { ...base, from: bob.publicKey, to: ada.publicKey, amount: 1, fee: 1 },
      bob,
      NET,
    );
    expect(applyTransfer(tip, accounts, MINER.publicKey, NET, 4)).toBeNull();
    expect(accounts[MINER.publicKey]?.balance).toBe(6);
    expect(totalBalance(accounts)).toBe(totalBalance(snapshot));
    // Replaying the same signed transfer fails on its nonce.
    expect(applyTransfer(all, accounts, MINER.publicKey, NET, 4)).toMatch(/nonce/);
  });
});
