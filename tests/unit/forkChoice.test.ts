import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildBlock } from '../../src/core/builder';
import { applyBlock } from '../../src/core/chain';
import { prepareCommit } from '../../src/core/commitReveal';
import type { KeyPair } from '../../src/core/crypto';
import { bytesToHex, encodeCanonical } from '../../src/core/encoding';
import { bestHead, compareHeads, type HeadCandidate } from '../../src/core/forkChoice';
import { genesisBlock, genesisState } from '../../src/core/genesis';
import { type Hash, hashTagged, paramsHash } from '../../src/core/hash';
import { blockHash, signVote } from '../../src/core/objects';
import { evaluationSeed, selectQuorum } from '../../src/core/quorum';
import type { Block, ChainState, NetworkParams, Optimae } from '../../src/core/schemas';
import { quadraticDomain } from '../../src/domains/quadratic';
import { testKey, testParams } from '../support/fixtures';

// ---- compareHeads / bestHead as an order -----------------------------------------------------

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
/** Few distinct works and hashes, so ties on work are common. */
const candidate = fc.record({
  hash: fc.constantFrom('0a', '0b', '1f', '7c', 'a0', 'ff', '00').map((p) => p.padEnd(64, '3')),
  cumulativeWork: fc.nat({ max: 4 }),
});
const distinctCandidates = fc.uniqueArray(candidate, {
  selector: (c) => c.hash,
  minLength: 1,
  maxLength: 7,
});

/** Reference: heaviest first, then the lower hash. */
const better = (a: HeadCandidate, b: HeadCandidate): boolean =>
  a.cumulativeWork > b.cumulativeWork || (a.cumulativeWork === b.cumulativeWork && a.hash < b.hash);

describe('compareHeads', () => {
  it('is a strict total order on heads with distinct hashes, matching the documented rule', () => {
    fc.assert(
      fc.property(distinctCandidates, (cs) => {
        for (const a of cs) {
          expect(compareHeads(a, a)).toBe(0);
          for (const b of cs) {
            if (a === b) continue;
            const ab = compareHeads(a, b);
            expect(ab).not.toBe(0); // total
            expect(sign(ab)).toBe(-sign(compareHeads(b, a))); // antisymmetric
            expect(ab < 0).toBe(better(a, b));
            for (const c of cs) {
              if (ab < 0 && compareHeads(b, c) < 0) expect(compareHeads(a, c)).toBeLessThan(0);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('bestHead', () => {
  it('picks the heaviest head, ties to the lower hash, whatever the candidate order', () => {
    fc.assert(
      fc.property(
        distinctCandidates.chain((cs) =>
          fc.tuple(
            fc.constant(cs),
            fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }),
          ),
        ),
        ([cs, shuffled]) => {
          const expected = cs.reduce((best, c) => (better(c, best) ? c : best));
          expect(bestHead(cs)).toBe(expected);
          expect(bestHead(shuffled)).toBe(expected);
          expect(bestHead([...cs].reverse())).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
    expect(bestHead([])).toBeUndefined();
  });
});

// ---- fork choice in BlockTree over real competing branches ------------------------------------

const ada = testKey('ada');
const bob = testKey('bob');
const cyd = testKey('cyd');
const KEYS = [ada, bob, cyd];

/** Real optimae built on `state`: the optimizer trains from the chain's best, its quorum votes. */
async function optimaeOn(
  state: ChainState,
  optimizer: KeyPair,
  round: string,
  blobs: Map<Hash, Float32Array>,
): Promise<Optimae> {
  const domainId = quadraticDomain.descriptor.id;
  const bestHash = state.domains[domainId]?.bestParamsHash;
  const best = bestHash ? (blobs.get(bestHash) as Float32Array) : quadraticDomain.initialParams();
  const result = await quadraticDomain.optimize(best, {
    steps: 4,
    seed: hashTagged('fork/optimize', { round }),
  });
  const hash = paramsHash(result.params);
  blobs.set(hash, result.params);
  const { commit, reveal, commitId } = prepareCommit(
    {
      domainId,
      paramsHash: hash,
      nonce: hashTagged('fork/nonce', { round }),
      claimedMetric: result.metric,
      base: { height: state.height, hash: state.tipHash },
    },
    optimizer,
    state.networkId,
  );
  const base = state.recentBlocks[state.recentBlocks.length - 1];
  if (!base) throw new Error('no base block');
  const quorum = selectQuorum(base, commitId, optimizer.publicKey, state.params);
  const voters =
    quorum.mode === 'selected'
      ? KEYS.filter((k) => quorum.members.includes(k.publicKey))
      : KEYS.filter((k) => k !== optimizer).slice(0, quorum.maxVotes);
  const votes = [];
  for (const voter of voters) {
    const metric = await quadraticDomain.evaluate(
      result.params,
      evaluationSeed(commitId, voter.publicKey, commit.baseHash),
    );
    votes.push(
      signVote(
        { commitId, paramsHash: hash, evaluator: voter.publicKey, metric },
        voter,
        state.networkId,
      ),
    );
  }
  return { commit, reveal, votes };
}

interface Built {
  readonly name: string;
  readonly block: Block;
  readonly hash: Hash;
  readonly parent: Hash;
  readonly state: ChainState;
}

interface Fixture {
  readonly params: NetworkParams;
  readonly genesis: ChainState;
  readonly genesisHash: Hash;
  readonly blocks: readonly Built[];
}

/**
 * genesis ─ C1 ─┬─ A1 ─┬─ A2    (fast branch: 3 s intervals, the schedule rises)
 *               │      └─ A2'   (A2's twin by another generator: equal work, another hash)
 *               └─ B1 ─ … ─ B5  (slow branch: 60 s then 10 s; decayed threshold, lower schedule)
 */
async function buildFixture(): Promise<Fixture> {
  const params = testParams({
    threshold: { ...testParams().threshold, initial: 2_000 },
  });
  const genesis = genesisState(params);
  const blobs = new Map<Hash, Float32Array>();
  const blocks: Built[] = [];
  const make = async (
    name: string,
    parent: { state: ChainState },
    generator: KeyPair,
    dt: number,
    optimae: Optimae,
  ): Promise<Built> => {
    const last = parent.state.recentBlocks[parent.state.recentBlocks.length - 1];
    const built = buildBlock({
      state: parent.state,
      generator,
      timestamp: (last?.timestamp ?? 0) + dt,
      optimae: [optimae],
    });
    if (!built.ok) throw new Error(`${name}: ${built.reason}`);
    const applied = applyBlock(parent.state, built.block);
    if (!applied.ok) throw new Error(`${name}: ${applied.error.message}`);
    const b = {
      name,
      block: built.block,
      hash: built.hash,
      parent: parent.state.tipHash,
      state: applied.state,
    };
    blocks.push(b);
    return b;
  };
  const root = { state: genesis };
  const c1 = await make('C1', root, ada, 5_000, await optimaeOn(genesis, ada, 'c1', blobs));
  const a1 = await make('A1', c1, bob, 3_000, await optimaeOn(c1.state, bob, 'a1', blobs));
  const a2optimae = await optimaeOn(a1.state, cyd, 'a2', blobs);
  await make('A2', a1, bob, 3_000, a2optimae);
  await make("A2'", a1, cyd, 3_000, a2optimae);
  // Late enough that its threshold has decayed to about a third of the schedule.
  let b = await make('B1', c1, cyd, 36_000, await optimaeOn(c1.state, cyd, 'b1', blobs));
  for (let i = 2; i <= 5; i++) {
    const optimizer = KEYS[i % KEYS.length] as KeyPair;
    const generator = KEYS[(i + 1) % KEYS.length] as KeyPair;
    b = await make(
      `B${i}`,
      b,
      generator,
      10_000,
      await optimaeOn(b.state, optimizer, `b${i}`, blobs),
    );
  }
  return { params, genesis, genesisHash: genesis.tipHash, blocks };
}

/** Head expected from a set of blocks, computed from the headers alone. */
function expectedHead(f: Fixture, present: readonly Built[]): { hash: Hash; work: number } {
  const byHash = new Map(present.map((b) => [b.hash, b]));
  let best = { hash: f.genesisHash, work: 0 };
  for (const b of present) {
    let work = 0;
    let connected = false;
    for (let cursor: Built | undefined = b; cursor; cursor = byHash.get(cursor.parent)) {
      work += cursor.block.header.threshold;
      if (cursor.parent === f.genesisHash) connected = true;
    }
    if (!connected) continue;
    if (work > best.work || (work === best.work && b.hash < best.hash))
      best = { hash: b.hash, work };
  }
  return best;
}

const stateBytes = (s: ChainState) => bytesToHex(encodeCanonical(s));

describe('BlockTree fork choice over competing branches', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await buildFixture();
  }, 30_000);

  it('builds the intended shape: a tie at the top of the heavier, shorter branch', () => {
    const by = (name: string) => f.blocks.find((b) => b.name === name) as Built;
    expect(blockHash(genesisBlock(f.params).header)).toBe(f.genesisHash);
    const work = (name: string) => by(name).state.cumulativeWork;
    // The twins tie on work; the short fast branch outweighs the long slow one.
    expect(work('A2')).toBe(work("A2'"));
    expect(by('A2').hash).not.toBe(by("A2'").hash);
    expect(work('A2')).toBeGreaterThan(work('B5'));
    expect(by('B5').state.height).toBeGreaterThan(by('A2').state.height);
    // Without the twins, the long slow branch is the heavier one (subsets below hit both cases).
    expect(work('B5')).toBeGreaterThan(work('A1'));
    // The branches really differ in who made them and when.
    expect(by('A1').block.header.generator).not.toBe(by('B1').block.header.generator);
    expect(by('A1').block.header.timestamp).not.toBe(by('B1').block.header.timestamp);
    // Cumulative work is the sum of the header thresholds along the branch.
    const expected = expectedHead(f, f.blocks);
    const top = [by('A2'), by("A2'")].sort((a, b) => (a.hash < b.hash ? -1 : 1))[0] as Built;
    expect(expected.hash).toBe(top.hash);
    expect(expected.work).toBe(top.state.cumulativeWork);
  });

  it('every arrival order (and every subset) of the blocks ends on the same head and state', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }).chain((drop) =>
          fc.shuffledSubarray(
            f.blocks.map((b) => b.name),
            { minLength: f.blocks.length - drop, maxLength: f.blocks.length },
          ),
        ),
        (names) => {
          const arrival = names.map((n) => f.blocks.find((b) => b.name === n) as Built);
          const tree = new BlockTree(f.genesis);
          for (const b of arrival) {
            const result = tree.add(b.block);
            expect(result.status, `${b.name}: ${JSON.stringify(result)}`).not.toBe('invalid');
          }
          const expected = expectedHead(f, arrival);
          expect(tree.head.hash).toBe(expected.hash);
          expect(tree.head.cumulativeWork).toBe(expected.work);
          expect(tree.state.cumulativeWork).toBe(expected.work);
          const reference = f.blocks.find((b) => b.hash === expected.hash)?.state ?? f.genesis;
          expect(tree.state.tipHash).toBe(expected.hash);
          expect(stateBytes(tree.state)).toBe(stateBytes(reference));
          const balances = Object.fromEntries(
            Object.entries(tree.state.accounts).map(([id, a]) => [id, a.balance]),
          );
          expect(balances).toEqual(
            Object.fromEntries(
              Object.entries(reference.accounts).map(([id, a]) => [id, a.balance]),
            ),
          );
          expect(
            tree
              .mainChain()
              .map((b) => blockHash(b.header))
              .at(-1),
          ).toBe(expected.hash);
          // Re-sending everything changes nothing.
          for (const b of arrival) {
            const again = tree.add(b.block).status;
            // A connected block is a duplicate; one still waiting for its parent stays waiting.
            if (tree.has(b.hash)) expect(again).toBe('duplicate');
            else expect(['duplicate', 'orphan']).toContain(again);
          }
          expect(tree.head.hash).toBe(expected.hash);
          expect(stateBytes(tree.state)).toBe(stateBytes(reference));
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);

  it('all blocks in every order agree exactly (full permutations)', () => {
    const heads = new Set<string>();
    const states = new Set<string>();
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          f.blocks.map((_, i) => i),
          { minLength: f.blocks.length, maxLength: f.blocks.length },
        ),
        (order) => {
          const tree = new BlockTree(f.genesis);
          for (const i of order) tree.add((f.blocks[i] as Built).block);
          heads.add(tree.head.hash);
          states.add(stateBytes(tree.state));
        },
      ),
      { numRuns: 15 },
    );
    expect(heads.size).toBe(1);
    expect(states.size).toBe(1);
    expect([...heads][0]).toBe(expectedHead(f, f.blocks).hash);
  }, 60_000);
});
