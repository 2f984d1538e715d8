/**
 * BlockTree against poisoning: the block hash covers the header only, so anyone can relay a
 * genuine header with a forged signature or a tampered body (optimae, transactions) under the
 * genuine block's hash. Such a copy must be refused with its precise error without being
 * remembered as invalid or kept as an orphan, so the genuine block is still accepted when it
 * arrives. A block that is bound (signed, roots matching its body) but breaks a rule is
 * remembered by its hash.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type AddResult, BlockTree } from '../../src/core/blockTree';
import { applyBlock, type BlockErrorCode } from '../../src/core/chain';
import { genesisState } from '../../src/core/genesis';
import type { Hash } from '../../src/core/hash';
import { blockHash, signHeader } from '../../src/core/objects';
import type { Block, ChainState } from '../../src/core/schemas';
import { extend, key, type Made, reseal } from '../support/blocks';
import { testParams } from '../support/fixtures';

// Signature checks are pure-JS Ed25519: generous limits for slow or busy machines.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

function expectInvalid(result: AddResult, code: BlockErrorCode, hash: Hash | null): void {
  expect(result).toMatchObject({ status: 'invalid', hash, error: { code } });
}

/** A structurally valid copy of `block` with `modify` applied and nothing re-signed or re-rooted. */
function tamper(block: Block, modify: (b: Block) => void): Block {
  const copy = structuredClone(block);
  modify(copy);
  return copy;
}

let genesis: ChainState;
let p1: Made;
let a1: Made;
let a2: Made;

beforeAll(() => {
  genesis = genesisState(testParams());
  p1 = extend({ state: genesis }, 'p1', 'ada', 'bob', 10_000);
  a1 = extend(p1, 'a1', 'cyd', 'dee', 10_000);
  a2 = extend(a1, 'a2', 'eve', 'cyd', 10_000, 0.05);
});

/** Copies of A1 under A1's hash, each with one unbound part, and the error each must get. */
function variants(): { name: string; block: Block; code: BlockErrorCode }[] {
  const nid = genesis.networkId;
  const g = a1.block;
  return [
    {
      name: 'a signature by another key over the genuine header',
      block: { ...g, signature: signHeader(g.header, key('mallory'), nid) },
      code: 'signature',
    },
    {
      name: "another block's signature",
      block: { ...g, signature: p1.block.signature },
      code: 'signature',
    },
    {
      name: 'one vote changed in the body',
      block: tamper(g, (b) => {
        const vote = b.optimae[0]?.votes[0] as { metric: number };
        vote.metric += 1;
      }),
      code: 'optimae-root',
    },
    {
      name: 'the optimae emptied',
      block: tamper(g, (b) => {
        b.optimae = [];
      }),
      code: 'optimae-root',
    },
    {
      name: 'the coinbase paying one unit more',
      block: tamper(g, (b) => {
        const coinbase = b.transactions[0];
        if (coinbase?.type !== 'coinbase') throw new Error('no coinbase');
        (coinbase.outputs[0] as { amount: number }).amount += 1;
      }),
      code: 'tx-root',
    },
    {
      name: 'the transaction list emptied',
      block: tamper(g, (b) => {
        b.transactions = [];
      }),
      code: 'tx-root',
    },
    {
      name: 'a tampered body and a forged signature',
      block: tamper(g, (b) => {
        b.optimae = [];
        b.signature = signHeader(b.header, key('mallory'), nid);
      }),
      code: 'signature',
    },
  ];
}

describe('a tampered copy of a genuine block', () => {
  it('every variant keeps the genuine hash and fails only its own binding', () => {
    for (const v of variants()) {
      expect(blockHash(v.block.header), v.name).toBe(a1.hash);
      expect(applyBlock(p1.state, v.block), v.name).toMatchObject({
        ok: false,
        error: { code: v.code },
      });
    }
  });

  it('with the parent known: is refused, not remembered, and the genuine block becomes head', () => {
    for (const v of variants()) {
      const tree = new BlockTree(genesis);
      expect(tree.add(p1.block).status).toBe('head');
      expectInvalid(tree.add(v.block), v.code, a1.hash);
      // Asked again, it is judged again (not from a remembered verdict), with the same result.
      expectInvalid(tree.add(v.block), v.code, a1.hash);
      const genuine = tree.add(a1.block);
      expect(genuine, v.name).toMatchObject({ status: 'head', hash: a1.hash, reorg: null });
      expect(tree.state).toStrictEqual(a1.state);
      // Now the copy is answered by the block held under its hash.
      expect(tree.add(v.block)).toEqual({ status: 'duplicate', hash: a1.hash });
      expect(tree.getBlock(a1.hash)).toStrictEqual(a1.block);
    }
  });

  it('with the parent unknown: takes no orphan slot, and the genuine block connects later', () => {
    for (const v of variants()) {
      const tree = new BlockTree(genesis);
      expectInvalid(tree.add(v.block), v.code, a1.hash);
      expect(tree.add(a1.block), v.name).toEqual({
        status: 'orphan',
        hash: a1.hash,
        missingParent: p1.hash,
      });
      expect(tree.add(p1.block).status).toBe('head');
      expect(tree.head.hash, v.name).toBe(a1.hash);
      expect(tree.state).toStrictEqual(a1.state);
      expect(tree.getBlock(a1.hash)).toStrictEqual(a1.block);
    }
  });

  it("does not condemn the genuine block's descendants either", () => {
    // A2 waits for A1; a tampered A1 arrives first, then P1, then the genuine A1.
    for (const v of variants()) {
      const tree = new BlockTree(genesis);
      expect(tree.add(a2.block).status).toBe('orphan');
      expectInvalid(tree.add(v.block), v.code, a1.hash);
      expect(tree.add(p1.block).status).toBe('head');
      expectInvalid(tree.add(v.block), v.code, a1.hash);
      expect(tree.head.hash).toBe(p1.hash);
      expect(tree.add(a1.block).status).toBe('head'); // brings A2 along
      expect(tree.head.hash, v.name).toBe(a2.hash);
      expect(tree.state).toStrictEqual(a2.state);
    }
  });

  it('a malformed copy is a schema error and is not remembered either', () => {
    const tree = new BlockTree(genesis);
    tree.add(p1.block);
    const malformed = { ...a1.block, optimae: 'none' };
    expectInvalid(tree.add(malformed), 'schema', null);
    expect(tree.add(a1.block).status).toBe('head');
  });
});

describe('a bound block that breaks a rule', () => {
  let bad: Block;
  let badHash: Hash;
  let child: Block;
  beforeAll(() => {
    // A1 with a wrong threshold, re-signed by its generator: bound, but invalid.
    bad = reseal(a1.block, genesis.networkId, (b) => {
      b.header.threshold += 1;
    });
    badHash = blockHash(bad.header);
    child = reseal(a2.block, genesis.networkId, (b) => {
      b.header.prevHash = badHash;
    });
  });

  it('is remembered by its hash, with its error', () => {
    const tree = new BlockTree(genesis);
    tree.add(p1.block);
    const first = tree.add(bad);
    expectInvalid(first, 'threshold', badHash);
    const second = tree.add(bad);
    expect(second).toEqual(first);
    // Remembered, not judged again: even an unbound copy under that hash gets the verdict, and
    // a child is refused because its parent is known to be invalid.
    const forged = { ...bad, signature: signHeader(bad.header, key('mallory'), genesis.networkId) };
    expect(tree.add(forged)).toEqual(first);
    expect(tree.add(child)).toMatchObject({
      status: 'invalid',
      hash: blockHash(child.header),
      error: { code: 'prev-hash', message: 'parent is invalid' },
    });
    expect(tree.head.hash).toBe(p1.hash);
    expect(tree.add(a1.block).status).toBe('head');
  });

  it('waits as an orphan, and is remembered once its parent arrives', () => {
    const tree = new BlockTree(genesis);
    expect(tree.add(bad).status).toBe('orphan');
    expect(tree.add(bad)).toEqual({ status: 'duplicate', hash: badHash });
    expect(tree.add(p1.block).status).toBe('head');
    expectInvalid(tree.add(bad), 'threshold', badHash);
    expect(tree.has(badHash)).toBe(false);
  });
});

// ---- property: no mutation of body or signature blocks the genuine block -------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

/** Every place in the block's body and signature a mutation can hit. */
function sites(block: Block): { path: Path; value: Json }[] {
  const out: { path: Path; value: Json }[] = [];
  const walk = (value: Json, path: Path) => {
    out.push({ path, value });
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...path, i]);
    } else if (value && typeof value === 'object') {
      for (const [k, item] of Object.entries(value)) walk(item, [...path, k]);
    }
  };
  const json = block as unknown as { [key: string]: Json };
  for (const part of ['signature', 'optimae', 'transactions']) walk(json[part] as Json, [part]);
  return out;
}

const HEX = '0123456789abcdef';

/** A different value for `value`, chosen by `k` (changes type only for null/booleans). */
function mutateValue(value: Json, k: number): Json {
  if (typeof value === 'number') return value + 1 + (k % 1000);
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') {
    if (value.length === 0) return 'x';
    const at = k % value.length;
    const ch = value[at] as string;
    const next = HEX.includes(ch) ? (HEX[(HEX.indexOf(ch) + 1 + (k % 15)) % 16] as string) : 'x';
    return value.slice(0, at) + next + value.slice(at + 1);
  }
  if (Array.isArray(value)) {
    const op = k % 3;
    if (value.length === 0 || op === 0) return [...value, structuredClone(value[0] ?? null)];
    if (op === 1) return value.filter((_, i) => i !== k % value.length);
    return [...value].reverse();
  }
  if (value === null) return 0;
  // An object: drop one field.
  const keys = Object.keys(value);
  const drop = keys[k % keys.length];
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== drop));
}

function mutate(block: Block, path: Path, k: number): Block {
  const copy = structuredClone(block) as unknown as { [key: string]: Json };
  let parent: Json = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string, Json>)[step] as Json;
  const last = path[path.length - 1] as string | number;
  const slot = parent as Record<string | number, Json>;
  slot[last] = mutateValue(slot[last] as Json, k);
  return copy as unknown as Block;
}

describe('property', () => {
  it('no mutation of a block body or signature, added first, keeps the genuine block out', () => {
    const chain = [p1, a1, a2];
    const sitesOf = chain.map((m) => sites(m.block));
    const unbound: readonly string[] = ['schema', 'signature', 'optimae-root', 'tx-root'];
    fc.assert(
      fc.property(
        fc.nat(chain.length - 1),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        (index, site, k, parentKnown, forge) => {
          const target = chain[index] as Made;
          const places = sitesOf[index] as { path: Path }[];
          let mutant = mutate(
            target.block,
            (places[site % places.length] as { path: Path }).path,
            k,
          );
          if (forge) mutant = { ...mutant, signature: target.block.signature.replace(/^../, '00') };
          fc.pre(JSON.stringify(mutant) !== JSON.stringify(target.block));

          const tree = new BlockTree(genesis);
          const before = parentKnown ? chain.slice(0, index) : [];
          for (const m of before) expect(tree.add(m.block).status).toBe('head');
          const refused = tree.add(mutant);
          expect(refused.status).toBe('invalid');
          if (refused.status === 'invalid') expect(unbound).toContain(refused.error.code);
          // The genuine chain (what was not added yet) is accepted in full afterwards.
          for (const m of chain.slice(before.length)) tree.add(m.block);
          expect(tree.head.hash).toBe(a2.hash);
          expect(tree.state).toStrictEqual(a2.state);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  }, 300_000);
});
