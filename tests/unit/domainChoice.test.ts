import { describe, expect, it } from 'vitest';
import { genesisState } from '../../src/core/genesis';
import type { ChainState } from '../../src/core/schemas';
import { chooseDomain, expectedRewardPerCompute } from '../../src/node/domainChoice';
import { LOCAL_TESTNET } from '../../src/node/networks';

const genesis = genesisState(LOCAL_TESTNET);

function withBest(state: ChainState, id: string, bestMetric: number): ChainState {
  const current = state.domains[id];
  if (!current) throw new Error(`no domain ${id}`);
  return { ...state, domains: { ...state.domains, [id]: { ...current, bestMetric } } };
}

describe('choosing a domain by expected reward per compute', () => {
  it('a requested domain the network has wins; an unknown one falls back to the estimate', () => {
    expect(chooseDomain(genesis, 'boston-housing')).toBe('boston-housing');
    expect(chooseDomain(genesis, 'no-such-domain')).toBe(chooseDomain(genesis, null));
  });

  it('prefers cheap models with room to improve, and moves on once a domain is nearly solved', () => {
    // At genesis the 16-parameter quadratic domain offers the most per unit of compute.
    expect(chooseDomain(genesis, null)).toBe('quadratic-16');
    const solved = withBest(genesis, 'quadratic-16', 1e-9);
    const next = chooseDomain(solved, null);
    expect(next).not.toBe('quadratic-16');
    const scores = LOCAL_TESTNET.domains.map((d) => expectedRewardPerCompute(d, solved));
    const chosen = LOCAL_TESTNET.domains.findIndex((d) => d.id === next);
    expect(scores[chosen]).toBe(Math.max(...scores));
  });

  it('only considers domains this page can compute', () => {
    expect(chooseDomain(genesis, null, (id) => id !== 'quadratic-16')).not.toBe('quadratic-16');
    expect(chooseDomain(genesis, null, () => false)).toBeNull();
  });
});
