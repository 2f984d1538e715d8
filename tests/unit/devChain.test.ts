/**
 * buildDevChain: its blocks must pass the real rules (applyBlock, BlockTree.add with a clock at
 * the last block), its fast state bookkeeping must equal applyBlock's state exactly, and it must
 * be deterministic, fork-able and quick.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { applyBlock } from '../../src/core/chain';
import type { KeyPair } from '../../src/core/crypto';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { genesisState } from '../../src/core/genesis';
import { blockHash } from '../../src/core/objects';
import type { ChainState, DomainDescriptor } from '../../src/core/schemas';
import { GENESIS_TIME, testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const params = testParams();
const keys = devKeys(4);
let chain: DevChain;

beforeAll(() => {
  // Long enough for evaluators to become established and quorums to switch to selected mode.
  chain = buildDevChain(params, { length: 80, keys });
});

/** Applies every block with applyBlock (the real rules), returning the states after each. */
function replay(start: ChainState, dev: DevChain): ChainState[] {
  const states = [start];
  for (const block of dev.blocks) {
    const result = applyBlock(states[states.length - 1] as ChainState, block, {
      now: dev.lastTimestamp,
    });
    if (!result.ok) throw new Error(`block ${block.header.height}: ${result.error.message}`);
    states.push(result.state);
  }
  return states;
}

describe('buildDevChain', () => {
  it('makes blocks applyBlock accepts, with the state applyBlock computes', () => {
    const states = replay(genesisState(params), chain);
    expect(chain.blocks).toHaveLength(80);
    expect(states[80]).toStrictEqual(chain.state);
    expect(chain.hashes).toEqual(chain.blocks.map((b) => blockHash(b.header)));
    // Every block's optimae is verified and pays at least its threshold.
    for (const block of chain.blocks) {
      expect(block.optimae).toHaveLength(1);
      expect(block.header.incrementSum).toBeGreaterThanOrEqual(block.header.threshold);
    }
    expect(chain.state.domains['quadratic-16']?.verifiedCount).toBe(80);
  });

  it('uses open quorums while bootstrapping, then selected ones with a 2/3 majority', () => {
    const votes = chain.blocks.map((b) => b.optimae[0]?.votes.length);
    expect(votes[0]).toBe(1); // open mode: one vote agrees with itself
    expect(votes.slice(-10).every((n) => n === 2)).toBe(true); // selected: 2 of 3 members
    expect(chain.state.recentBlocks.at(-1)?.evaluators.length).toBe(4);
  });

  it('is accepted block by block by a BlockTree whose clock is at the last block', () => {
    const tree = new BlockTree(genesisState(params));
    for (const block of chain.blocks) {
      expect(tree.add(block, { now: chain.lastTimestamp }).status).toBe('head');
    }
    expect(tree.head).toEqual({
      hash: chain.state.tipHash,
      height: 80,
      cumulativeWork: chain.state.cumulativeWork,
    });
  });

  it('spaces timestamps by intervalMs from startTimestamp, the last one lastTimestamp', () => {
    const start = GENESIS_TIME + 3_600_000;
    const dev = buildDevChain(params, {
      length: 5,
      keys,
      intervalMs: 2_500,
      startTimestamp: start,
    });
    expect(dev.blocks.map((b) => b.header.timestamp)).toEqual(
      [0, 1, 2, 3, 4].map((i) => start + i * 2_500),
    );
    expect(dev.lastTimestamp).toBe(start + 4 * 2_500);
    // Default: one target interval after the tip.
    expect(chain.blocks[0]?.header.timestamp).toBe(GENESIS_TIME + params.targetBlockTimeMs);
    replay(genesisState(params), dev);
  });

  it('check: true (applyBlock on every block) builds exactly the same chain', () => {
    const checked = buildDevChain(params, { length: 40, keys, check: true });
    expect(checked.hashes).toEqual(chain.hashes.slice(0, 40));
  });

  it('is deterministic, and a label or a start state makes a different chain', () => {
    const again = buildDevChain(params, { length: 5, keys });
    expect(again.hashes).toEqual(chain.hashes.slice(0, 5));
    const labelled = buildDevChain(params, { length: 5, keys, label: 'x' });
    expect(labelled.hashes.filter((h) => chain.hashes.includes(h))).toEqual([]);

    // A fork: five blocks on the state after block 10, alongside the main chain's 11-15.
    const base = buildDevChain(params, { length: 10, keys });
    const fork = buildDevChain(params, { length: 5, keys, start: base.state, label: 'fork' });
    expect(fork.blocks[0]?.header.prevHash).toBe(chain.hashes[9]);
    expect(fork.blocks[0]?.header.height).toBe(11);
    expect(fork.hashes.filter((h) => chain.hashes.includes(h))).toEqual([]);
    const tree = new BlockTree(genesisState(params));
    for (const block of [...chain.blocks.slice(0, 12), ...fork.blocks]) {
      expect(['head', 'side']).toContain(tree.add(block, { now: fork.lastTimestamp }).status);
    }
    expect(tree.head.hash).toBe(fork.hashes[4]); // 15 blocks outweigh 12
  });

  it('with two keys stays in open mode: four signatures a block', () => {
    const two = buildDevChain(params, { length: 30, keys: devKeys(2) });
    expect(two.blocks.every((b) => b.optimae[0]?.votes.length === 1)).toBe(true);
    replay(genesisState(params), two);
  });

  it('fullQuorum: every member of a selected quorum votes', () => {
    const full = buildDevChain(params, { length: 40, keys, fullQuorum: true });
    expect(full.blocks.at(-1)?.optimae[0]?.votes).toHaveLength(3);
    expect(replay(genesisState(params), full).at(-1)).toStrictEqual(full.state);
  });

  it('refuses what cannot make a valid chain', () => {
    expect(() => buildDevChain(params, { length: 3, keys: [keys[0] as KeyPair] })).toThrow(
      /two distinct keys/,
    );
    expect(() =>
      buildDevChain(params, { length: 3, keys: [keys[0] as KeyPair, keys[0] as KeyPair] }),
    ).toThrow(/two/);
    expect(() => buildDevChain(params, { length: -1, keys })).toThrow(/length/);
    expect(() => buildDevChain(params, { length: 1, keys, startTimestamp: GENESIS_TIME })).toThrow(
      /median time/,
    );
    const other = testParams({ name: 'elsewhere' });
    expect(() => buildDevChain(other, { length: 1, keys, start: chain.state })).toThrow(/network/);
    const weightless = testParams({
      domains: [{ ...(params.domains[0] as DomainDescriptor), weight: 0 }],
    });
    expect(() => buildDevChain(weightless, { length: 1, keys })).toThrow(/weight/);
    expect(() => buildDevChain(params, { length: 1, keys, domainId: 'nope' })).toThrow(/unknown/);
    expect(buildDevChain(params, { length: 0, keys }).state).toStrictEqual(genesisState(params));
  });

  it('makes 1,000 blocks (the sync benchmark and the e2e seed use that many)', () => {
    // No timing assertion (budgets are benchmarks here): ~3 s on a slow 2-core machine.
    const long = buildDevChain(params, { length: 1_000, keys: devKeys(2) });
    expect(long.blocks).toHaveLength(1_000);
    expect(long.state.height).toBe(1_000);
    // Linked end to end (full validation of 1,000 blocks is the sync benchmark's job).
    for (let i = 1; i < long.blocks.length; i++) {
      expect(long.blocks[i]?.header.prevHash).toBe(long.hashes[i - 1]);
    }
    // The metric kept improving by what each threshold needed, to the end.
    expect(long.state.domains['quadratic-16']?.verifiedCount).toBe(1_000);
  });
});
