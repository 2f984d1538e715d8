import { describe, expect, it } from 'vitest';
import { blockReward } from '../../src/core/ledger';
import { quadraticDomain } from '../../src/domains/quadratic';
import { testKey, testParams } from '../support/fixtures';
import { SimNetwork } from '../support/simulation';

describe('a simulated network of in-memory peers', () => {
  it('optimizes, verifies, makes blocks and agrees on one head with rewards as specified', async () => {
    const params = testParams();
    const names = ['ada', 'bob', 'cyd', 'dee', 'eve'];
    const net = new SimNetwork(
      params,
      quadraticDomain,
      names.map((name) => ({
        name,
        key: testKey(name),
        // eve claims a better metric than she found
        ...(name === 'eve' ? { lie: (m: number) => m * 0.5 } : {}),
      })),
    );

    for (let round = 0; net.log.blocks.length < 8 && round < 200; round++) {
      net.now += 4_000;
      const optimizer = net.peers[round % net.peers.length];
      if (!optimizer) throw new Error('no peer');
      await net.round(optimizer, round);
      net.tryBlock(net.peers[(round + 1) % net.peers.length] as (typeof net.peers)[number]);
    }

    expect(net.log.blocks.length).toBeGreaterThanOrEqual(8);
    const heads = new Set(net.peers.map((p) => p.tree.head.hash));
    expect(heads.size).toBe(1);
    const state = net.peers[0]?.tree.state;
    if (!state) throw new Error('no state');
    expect(state.height).toBe(net.log.blocks.length);

    // The domain's best improved from its initial value to what the quorums verified.
    const domain = state.domains['quadratic-16'];
    expect(domain?.bestMetric).toBeLessThan(params.domains[0]?.initialBest as number);
    const lastAccepted = net.log.blocks
      .flatMap((b) => b.assessments)
      .filter((a) => a.verdict === 'accepted')
      .at(-1);
    expect(domain?.bestMetric).toBe(lastAccepted?.verifiedMetric);

    // Supply is exactly the sum of coinbases and sits in balances.
    let minted = 0;
    for (let h = 1; h <= state.height; h++) minted += blockReward(h, params);
    const balances = Object.values(state.accounts).reduce((s, a) => s + a.balance, 0);
    expect(state.totalSupply).toBe(minted);
    expect(balances).toBe(minted);

    // Honest optimizers and the agreeing evaluators are paid; eve's false claims are rejected.
    const all = net.log.blocks.flatMap((b) => b.assessments);
    const eve = testKey('eve').publicKey;
    const eveOptimae = all.filter((a) => a.optimizer === eve);
    expect(eveOptimae.length).toBeGreaterThan(0);
    expect(eveOptimae.every((a) => a.verdict === 'false-claim' && a.increment === 0)).toBe(true);
    for (const name of ['ada', 'bob', 'cyd', 'dee']) {
      const acc = state.accounts[testKey(name).publicKey];
      expect(acc?.balance, name).toBeGreaterThan(0);
      expect(acc?.reputation, name).toBeGreaterThan(0);
    }
    // Rewards match the split: each block's coinbase credits generator, optimizers, evaluators.
    for (const { block, assessments } of net.log.blocks) {
      const coinbase = block.transactions[0];
      if (coinbase?.type !== 'coinbase') throw new Error('no coinbase');
      const paidTo = new Set(coinbase.outputs.map((o) => o.to));
      expect(paidTo.has(block.header.generator)).toBe(true);
      for (const a of assessments) {
        if (a.increment > 0) expect(paidTo.has(a.optimizer)).toBe(true);
        for (const e of a.agreeing) expect(paidTo.has(e)).toBe(true);
      }
      expect(coinbase.outputs.reduce((s, o) => s + o.amount, 0)).toBe(
        blockReward(block.header.height, params),
      );
    }
    // The network left bootstrap: later quorums were selected from established evaluators.
    expect(net.log.quorumModes[0]).toBe('open');
    expect(net.log.quorumModes).toContain('selected');
    // Blocks record which optimae were verified by an open (bootstrap) quorum.
    expect(all[0]?.quorumMode).toBe('open');
    expect(all.some((a) => a.quorumMode === 'selected')).toBe(true);
  }, 60_000);
});
