/**
 * /doin/sync/1.0.0 over real in-memory libp2p streams (streamPair): catching up, switching to
 * a heavier fork, refusing another network, malformed and oversize frames both ways, range and
 * byte caps, rate limits, timeouts, and a fuzzed server that must always answer sanely.
 */
import '../../relay/polyfills.js';
import type { Stream } from '@libp2p/interface';
import { lpStream, streamPair } from '@libp2p/utils';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockTree } from '../../src/core/blockTree';
import { buildDevChain, type DevChain, devKeys } from '../../src/core/devChain';
import { decodeCanonical, encodeCanonical } from '../../src/core/encoding';
import { genesisState } from '../../src/core/genesis';
import type { Hash } from '../../src/core/hash';
import { type Block, type ChainState, parse } from '../../src/core/schemas';
import { NET_LIMITS } from '../../src/net/limits';
import { PeerRateLimiter } from '../../src/net/rateLimit';
import {
  createRpcServer,
  RpcErrorFrameSchema,
  type RpcHandler,
  rpcCall,
  rpcError,
} from '../../src/net/rpc';
import {
  BlocksResponseSchema,
  type ChainSource,
  chainSourceFromTree,
  createSyncServer,
  fetchBlocks,
  fetchBlocksByHash,
  fetchHeaders,
  fetchStatus,
  findCommonAncestor,
  HeadersResponseSchema,
  type HeaderWithHash,
  SyncRequestSchema,
  SyncStatusSchema,
  syncFromPeer,
  YIELD_EVERY_BLOCKS,
} from '../../src/net/sync';
import { reseal } from '../support/blocks';
import { testParams } from '../support/fixtures';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const params = testParams();
const keys = devKeys(3, 'sync');
let genesis: ChainState;
let main: DevChain; // 150 blocks
let forkBase: DevChain; // main's first 20 blocks (same blocks, built alone for its state)
let shortFork: DevChain; // 5 blocks on forkBase: a lighter branch than main
let now: number;
let serverTree: BlockTree; // main + shortFork

beforeAll(() => {
  genesis = genesisState(params);
  main = buildDevChain(params, { length: 150, keys });
  forkBase = buildDevChain(params, { length: 20, keys });
  shortFork = buildDevChain(params, { length: 5, keys, start: forkBase.state, label: 'short' });
  now = main.lastTimestamp;
  serverTree = treeWith([...main.blocks, ...shortFork.blocks]);
});

function treeWith(blocks: readonly Block[]): BlockTree {
  const tree = new BlockTree(genesis);
  for (const block of blocks) {
    const status = tree.add(block, { now }).status;
    if (status !== 'head' && status !== 'side') throw new Error(`fixture block refused: ${status}`);
  }
  return tree;
}

/** A peer serving `handler`: each open() is a fresh stream pair whose far end it handles. */
function peer(handler: RpcHandler, remotePeerId = 'client-peer') {
  const served: Promise<void>[] = [];
  const open = async (): Promise<Stream> => {
    const [client, server] = await streamPair();
    served.push(handler(server, remotePeerId));
    return client;
  };
  return { open, served, opened: () => served.length };
}

/** Sends raw bytes as the request (optionally length-prefixed) and decodes the one answer. */
async function rawExchange(
  handler: RpcHandler,
  payload: Uint8Array,
  options: { prefix?: boolean; remotePeerId?: string } = {},
): Promise<unknown> {
  const [client, server] = await streamPair();
  const served = handler(server, options.remotePeerId ?? 'raw-peer');
  const lp = lpStream(client, { maxDataLength: NET_LIMITS.syncResponseMaxBytes });
  if (options.prefix ?? true) await lp.write(payload);
  else client.send(payload);
  await client.close();
  const frame = await lp.read({ signal: AbortSignal.timeout(10_000) });
  await expect(served).resolves.toBeUndefined(); // the handler never rejects
  return decodeCanonical(frame.subarray());
}

const errorOf = (value: unknown) => {
  const parsed = parse(RpcErrorFrameSchema, value);
  if (!parsed.ok) throw new Error(`expected an error frame, got ${JSON.stringify(value)}`);
  return parsed.value;
};

const server = () => createSyncServer(chainSourceFromTree(serverTree));

describe('syncFromPeer', () => {
  it('a node behind by 130 blocks catches up, with one header probe and 64-block batches', async () => {
    const client = treeWith(main.blocks.slice(0, 20));
    const remote = peer(server());
    const progress: number[] = [];
    const report = await syncFromPeer(remote.open, client, {
      now: () => now,
      onProgress: (p) => progress.push(p.height),
    });
    expect(report.outcome).toBe('synced');
    expect(report.error).toBeUndefined();
    expect(report.added).toBe(130);
    expect(client.head).toEqual(serverTree.head);
    expect(client.state).toStrictEqual(main.state);
    expect(report.head).toEqual(serverTree.head);
    // status + one headers window (our head is in it) + ceil(130 / 64) block ranges.
    expect(remote.opened()).toBe(1 + 1 + 3);
    expect(progress).toEqual([84, 148, 150]);
    await Promise.all(remote.served);
  });

  it('hands the event loop back while validating (no long main-thread task)', async () => {
    const client = treeWith(main.blocks.slice(0, 20));
    // Count timer ticks between block validations: the longest run of blocks validated with no
    // tick in between is how long the loop held the thread (in blocks, not in noisy ms).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const add = client.add.bind(client);
    let lastTicks = -1;
    let run = 0;
    let longestRun = 0;
    client.add = (block, options) => {
      run = ticks === lastTicks ? run + 1 : 1;
      lastTicks = ticks;
      longestRun = Math.max(longestRun, run);
      return add(block, options);
    };
    const report = await syncFromPeer(peer(server()).open, client, { now: () => now });
    clearInterval(timer);
    expect(report.outcome).toBe('synced');
    expect(report.added).toBeGreaterThan(YIELD_EVERY_BLOCKS * 2);
    // Without yields a whole range (64 blocks) is validated in one go.
    expect(longestRun).toBeLessThanOrEqual(YIELD_EVERY_BLOCKS);
  });

  it('a node on a shorter fork switches to the heavier chain', async () => {
    const client = treeWith([...forkBase.blocks, ...shortFork.blocks]);
    expect(client.head.hash).toBe(shortFork.hashes[4]);
    const report = await syncFromPeer(peer(server()).open, client, { now: () => now });
    expect(report.outcome).toBe('synced');
    expect(report.added).toBe(130);
    expect(client.head.hash).toBe(main.state.tipHash);
    // The fork's heights now hold main's blocks; the fork stays known on the side.
    expect(client.hashAtHeight(21)).toBe(main.hashes[20]);
    expect(client.has(shortFork.hashes[0] as Hash)).toBe(true);
  });

  it('does nothing when the peer is not heavier', async () => {
    const client = treeWith(main.blocks);
    const weaker = peer(createSyncServer(chainSourceFromTree(treeWith(main.blocks.slice(0, 10)))));
    const report = await syncFromPeer(weaker.open, client, { now: () => now });
    expect(report).toMatchObject({ outcome: 'up-to-date', added: 0 });
    expect(report.peer?.height).toBe(10);
    expect(weaker.opened()).toBe(1); // status only
    expect(client.head.hash).toBe(main.state.tipHash);
  });

  it('refuses a peer on a different network (and the server refuses us)', async () => {
    const otherParams = testParams({ name: 'another-net' });
    const other = buildDevChain(otherParams, { length: 3, keys });
    const otherTree = new BlockTree(genesisState(otherParams));
    for (const block of other.blocks) otherTree.add(block, { now: other.lastTimestamp });
    const remote = peer(createSyncServer(chainSourceFromTree(otherTree)));

    const client = new BlockTree(genesis);
    const report = await syncFromPeer(remote.open, client, { now: () => now });
    expect(report.outcome).toBe('failed');
    expect(report.failure).toMatchObject({ code: 'wrong-network', penalize: false });
    expect(report.error).toMatch(/^wrong-network: /);
    expect(client.head.height).toBe(0);

    const status = await fetchStatus(remote.open, genesis.networkId);
    expect(status).toMatchObject({ ok: false, error: { code: 'wrong-network', remote: true } });
  });

  it('refuses a status from another network even if the server answers it', async () => {
    const liar = createRpcServer({
      requestSchema: SyncRequestSchema,
      maxResponseBytes: 1024,
      timeoutMs: 1000,
      handle: () => ({
        type: 'status',
        networkId: 'ab'.repeat(32),
        height: 9,
        hash: 'cd'.repeat(32),
        cumulativeWork: 1e9,
      }),
    });
    const client = new BlockTree(genesis);
    const report = await syncFromPeer(peer(liar).open, client);
    expect(report.failure?.code).toBe('wrong-network');
    expect(client.head.height).toBe(0);
  });

  it('stops at the first invalid block, keeps what came before and asks to penalize', async () => {
    // A server whose main chain has a tampered block 31 (signed by the wrong key).
    const tampered = reseal(main.blocks[30] as Block, genesis.networkId, () => {}, {
      roots: false,
      signer: devKeys(1, 'mallory')[0],
    });
    const blocks = main.blocks.map((b, i) => (i === 30 ? tampered : b));
    const source: ChainSource = {
      networkId: genesis.networkId,
      head: () => serverTree.head,
      blockAtHeight: (h) => (h === 0 ? serverTree.blockAtHeight(0) : blocks[h - 1]),
      blockByHash: () => undefined,
    };
    const client = treeWith(main.blocks.slice(0, 20));
    const report = await syncFromPeer(peer(createSyncServer(source)).open, client, {
      now: () => now,
    });
    expect(report.outcome).toBe('failed');
    expect(report.added).toBe(10);
    expect(report.failure).toMatchObject({
      code: 'invalid-block',
      penalize: true,
      block: { height: 31, error: { code: 'signature' } },
    });
    expect(client.head.height).toBe(30);
  });

  it('a block too far in the future (by our clock) fails the sync without blaming the peer', async () => {
    const client = treeWith(main.blocks.slice(0, 20));
    const early = () => main.blocks[19]?.header.timestamp as number;
    const report = await syncFromPeer(peer(server()).open, client, { now: early });
    expect(report.failure).toMatchObject({ code: 'invalid-block', penalize: false });
    expect(report.failure?.block?.error.code).toBe('timestamp-future');
    expect(client.head.height).toBe(21); // block 21 is within the allowed drift; 22 is not
  });

  it('malformed responses fail cleanly, are blamed on the peer and change nothing', async () => {
    const responses: unknown[] = [
      new Uint8Array([0xff, 0x00, 0x13]), // not CBOR at all
      { type: 'status', networkId: genesis.networkId, height: -1, hash: 'x', cumulativeWork: 1 },
      {
        type: 'status',
        networkId: genesis.networkId,
        height: 1,
        hash: 'ab'.repeat(32),
        cumulativeWork: 9e9,
        extra: true,
      },
    ];
    for (const response of responses) {
      const bogus: RpcHandler = async (stream) => {
        const lp = lpStream(stream);
        await lp.read();
        await lp.write(response instanceof Uint8Array ? response : encodeCanonical(response));
        await stream.close();
      };
      const client = treeWith(main.blocks.slice(0, 5));
      const before = client.head;
      const report = await syncFromPeer(peer(bogus).open, client, { now: () => now });
      expect(report.outcome).toBe('failed');
      expect(report.failure).toMatchObject({ code: 'bad-response', penalize: true });
      expect(client.head).toEqual(before);
    }
  });

  it('headers whose hashes do not match are refused before anything is added', async () => {
    const lying = createRpcServer({
      requestSchema: SyncRequestSchema,
      maxResponseBytes: NET_LIMITS.syncResponseMaxBytes,
      timeoutMs: 5_000,
      handle: (request) => {
        if (request.type === 'status') {
          return { type: 'status', networkId: genesis.networkId, ...serverTree.head };
        }
        if (request.type === 'headers') {
          // Claims our own genesis hash for every height: would fake a common ancestor.
          const headers = [];
          for (let h = request.from; h < request.from + request.count; h++) {
            const block = serverTree.blockAtHeight(h) as Block;
            headers.push({ hash: genesis.tipHash, header: block.header });
          }
          return { type: 'headers', headers };
        }
        return rpcError('internal', 'not used');
      },
    });
    const client = treeWith(main.blocks.slice(0, 5));
    const report = await syncFromPeer(peer(lying).open, client, { now: () => now });
    expect(report.failure).toMatchObject({ code: 'bad-response', penalize: true });
    expect(report.failure?.message).toMatch(/hash mismatch/);
    expect(client.head.height).toBe(5);
  });

  it('an oversize response frame is refused without buffering it', async () => {
    const flood: RpcHandler = async (stream) => {
      const lp = lpStream(stream);
      await lp.read();
      // A length prefix announcing 100 MB, then some bytes.
      stream.send(new Uint8Array([0x80, 0xc2, 0xd7, 0x2f, 1, 2, 3]));
      await stream.close();
    };
    const result = await fetchStatus(peer(flood).open, genesis.networkId);
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-response', remote: false } });
    if (!result.ok) expect(result.error.message).toMatch(/too long/i);
  });

  it('times out on a silent peer, and stops when the caller aborts', async () => {
    const silent: RpcHandler = async () => {}; // reads nothing, answers nothing, keeps the stream
    const started = Date.now();
    const result = await fetchStatus(peer(silent).open, genesis.networkId, { timeoutMs: 150 });
    expect(result).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(5_000);

    // An opener that never delivers a stream is bounded by the same deadline.
    const hanging = await fetchStatus(() => new Promise<Stream>(() => {}), genesis.networkId, {
      timeoutMs: 100,
    });
    expect(hanging).toMatchObject({ ok: false, error: { code: 'timeout' } });

    const controller = new AbortController();
    controller.abort();
    const client = new BlockTree(genesis);
    const report = await syncFromPeer(peer(server()).open, client, { signal: controller.signal });
    expect(report.failure).toMatchObject({ code: 'aborted', penalize: false });
    expect(client.head.height).toBe(0);
  });
});

describe('findCommonAncestor', () => {
  // Pure: a synthetic peer chain where we know heights 0..ancestor and nothing above.
  const hashAt = (h: number) => h.toString(16).padStart(64, '0');
  const fakeHeaders = (calls: number[][]) => async (from: number, count: number) => {
    calls.push([from, count]);
    return Array.from({ length: count }, (_, i) => ({ hash: hashAt(from + i) }) as HeaderWithHash);
  };

  it('finds the exact ancestor in O(log depth) requests for any fork depth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(2_000_000), fc.nat(2_000_000), async (a, b) => {
        const [ancestor, top] = a <= b ? [a, b] : [b, a];
        const calls: number[][] = [];
        const known = (hash: Hash) => Number.parseInt(hash, 16) <= ancestor;
        const found = await findCommonAncestor(top, fakeHeaders(calls), known);
        expect(found).toBe(ancestor);
        const depth = top - ancestor + 1;
        expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(depth + 1)) + 2);
        for (const [, count] of calls) {
          expect(count).toBeLessThanOrEqual(NET_LIMITS.maxHeadersPerRequest);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('one request when our head is on the peer chain', async () => {
    const calls: number[][] = [];
    expect(await findCommonAncestor(1000, fakeHeaders(calls), () => true)).toBe(1000);
    expect(calls).toEqual([[745, 256]]);
  });
});

describe('sync server', () => {
  it('serves status, headers with their hashes, ranges and blocks by hash (any branch)', async () => {
    const { open } = peer(server());
    const status = await fetchStatus(open, genesis.networkId);
    expect(status).toEqual({
      ok: true,
      value: { type: 'status', networkId: genesis.networkId, ...serverTree.head },
    });

    const headers = await fetchHeaders(open, genesis.networkId, 0, 3);
    expect(headers.ok && headers.value.map((h) => h.hash)).toEqual([
      genesis.tipHash,
      ...main.hashes.slice(0, 2),
    ]);

    const range = await fetchBlocks(open, genesis.networkId, 148, 10); // only 148-150 exist
    expect(range.ok && range.value.map((b) => b.header.height)).toEqual([148, 149, 150]);
    const beyond = await fetchBlocks(open, genesis.networkId, 151, 10);
    expect(beyond).toEqual({ ok: true, value: [] });

    const unknown = 'ee'.repeat(32);
    const wanted = [shortFork.hashes[2], unknown, main.hashes[7]] as Hash[];
    const byHash = await fetchBlocksByHash(open, genesis.networkId, wanted);
    expect(byHash.ok && byHash.value).toEqual([shortFork.blocks[2], main.blocks[7]]);
  });

  it('caps ranges at 64 blocks and 256 headers, and packs blocks within the byte budget', async () => {
    const { open } = peer(server());
    const blocks = await fetchBlocks(open, genesis.networkId, 1, 1_000_000);
    expect(blocks.ok && blocks.value.length).toBe(NET_LIMITS.maxBlocksPerRequest);

    // A source 10,000 blocks tall (the same block everywhere: the server does not validate).
    const block = main.blocks[0] as Block;
    const tall: ChainSource = {
      networkId: genesis.networkId,
      head: () => ({ height: 10_000, hash: main.hashes[0] as Hash, cumulativeWork: 1 }),
      blockAtHeight: (h) => (h <= 10_000 ? block : undefined),
      blockByHash: () => block,
    };
    const headers = await rpcCall(
      peer(createSyncServer(tall)).open,
      { type: 'headers', networkId: genesis.networkId, from: 0, count: 5_000 },
      {
        responseSchema: HeadersResponseSchema,
        maxResponseBytes: NET_LIMITS.syncResponseMaxBytes,
        timeoutMs: 10_000,
      },
    );
    expect(headers.ok && headers.value.headers.length).toBe(NET_LIMITS.maxHeadersPerRequest);

    const size = encodeCanonical(block).length;
    for (const [budget, expected] of [
      [1, 1], // always at least one block
      [size * 3 + 10, 3],
    ] as const) {
      const budgeted = peer(createSyncServer(tall, { responseBudgetBytes: budget }));
      const result = await rpcCall(
        budgeted.open,
        { type: 'blocks', networkId: genesis.networkId, from: 1, count: 64 },
        {
          responseSchema: BlocksResponseSchema,
          maxResponseBytes: NET_LIMITS.syncResponseMaxBytes,
          timeoutMs: 10_000,
        },
      );
      expect(result.ok && result.value.blocks.length).toBe(expected);
    }
  });

  it('answers malformed request frames with a clear bad-request', async () => {
    const handler = server();
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0xff, 0xfe]), /malformed CBOR/],
      [new Uint8Array([0x18, 0x05]), /CBOR/], // 5 encoded in two bytes
      [new Uint8Array([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]), /non-canonical/], // {b, a}
      [encodeCanonical({ type: 'status' }), /networkId/],
      [encodeCanonical({ type: 'gossip', networkId: genesis.networkId }), /type/],
      [
        encodeCanonical({ type: 'blocks', networkId: genesis.networkId, from: -1, count: 2 }),
        /from/,
      ],
      [
        encodeCanonical({ type: 'blocks', networkId: genesis.networkId, from: 0, count: 0 }),
        /count/,
      ],
      [encodeCanonical([1, 2, 3]), /./],
    ];
    for (const [payload, message] of cases) {
      const error = errorOf(await rawExchange(handler, payload));
      expect(error.code).toBe('bad-request');
      expect(error.message).toMatch(message);
    }
  });

  it('refuses oversize requests: too many hashes, or a frame over the byte limit', async () => {
    const handler = server();
    const hashes = Array.from({ length: NET_LIMITS.maxHashesPerRequest + 1 }, () =>
      'ab'.repeat(32),
    );
    const tooMany = await fetchBlocksByHash(peer(handler).open, genesis.networkId, hashes);
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'bad-request', remote: true } });

    const big = new Uint8Array(NET_LIMITS.requestMaxBytes + 1);
    expect(errorOf(await rawExchange(handler, big)).code).toBe('too-large');

    // A client refuses to send such a request in the first place.
    const local = await rpcCall(
      peer(handler).open,
      { pad: 'x'.repeat(NET_LIMITS.requestMaxBytes) },
      {
        responseSchema: SyncStatusSchema,
        maxResponseBytes: 1024,
        timeoutMs: 1000,
      },
    );
    expect(local).toMatchObject({ ok: false, error: { code: 'bad-request', remote: false } });
  });

  it('a request flood is cut off, not buffered', async () => {
    const [client, stream] = await streamPair();
    const served = createSyncServer(chainSourceFromTree(serverTree), { timeoutMs: 2_000 })(
      stream,
      'flooder',
    );
    const chunk = new Uint8Array(16 * 1024).fill(0xff); // never a complete length prefix
    for (let i = 0; i < 8 && client.status === 'open'; i++) {
      if (!client.send(chunk)) await new Promise((r) => setTimeout(r, 5));
    }
    await expect(served).resolves.toBeUndefined();
    expect(stream.status).not.toBe('open');
  });

  it('rate-limits each peer after the configured number of requests per window', async () => {
    let clock = 1_000;
    const handler = createSyncServer(chainSourceFromTree(serverTree), {
      requestsPerWindow: 3,
      windowMs: 10_000,
      now: () => clock,
    });
    const alice = peer(handler, 'alice');
    const bob = peer(handler, 'bob');
    for (let i = 0; i < 3; i++)
      expect((await fetchStatus(alice.open, genesis.networkId)).ok).toBe(true);
    const limited = await fetchStatus(alice.open, genesis.networkId);
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate-limited', remote: true } });
    // Invalid requests count too.
    expect(
      errorOf(await rawExchange(handler, new Uint8Array([0xff]), { remotePeerId: 'alice' })).code,
    ).toBe('rate-limited');
    // Another peer has its own allowance; the window passing restores alice's.
    expect((await fetchStatus(bob.open, genesis.networkId)).ok).toBe(true);
    clock += 10_000;
    expect((await fetchStatus(alice.open, genesis.networkId)).ok).toBe(true);

    // A sync that runs into the limit reports it, without blaming the peer.
    const client = treeWith(main.blocks.slice(0, 20));
    const tight = createSyncServer(chainSourceFromTree(serverTree), {
      requestsPerWindow: 2,
      now: () => clock,
    });
    const report = await syncFromPeer(peer(tight).open, client, { now: () => now });
    expect(report.failure).toMatchObject({
      code: 'request-failed',
      penalize: false,
      rpc: { code: 'rate-limited' },
    });
    expect(client.head.height).toBe(20);
  });

  it('never crashes on random frames: always a valid response or an error frame', async () => {
    const handler = createSyncServer(chainSourceFromTree(serverTree), { requestsPerWindow: 1e9 });
    const requestLike = fc.record(
      {
        type: fc.constantFrom('status', 'headers', 'blocks', 'blocksByHash', 'other'),
        networkId: fc.constantFrom(genesis.networkId, 'ab'.repeat(32), 'short'),
        from: fc.oneof(fc.nat(200), fc.integer({ min: -5, max: -1 }), fc.double()),
        count: fc.oneof(fc.nat(100), fc.constant(1e9)),
        hashes: fc.array(fc.constantFrom(main.hashes[3] as string, 'ee'.repeat(32), 'zz'), {
          maxLength: 70,
        }),
      },
      { requiredKeys: ['type'] },
    );
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      requestLike.map((r) => {
        try {
          return encodeCanonical(r);
        } catch {
          return new Uint8Array([0xf7]); // undefined: not canonical
        }
      }),
    );
    const schemas = [
      RpcErrorFrameSchema,
      SyncStatusSchema,
      HeadersResponseSchema,
      BlocksResponseSchema,
    ];
    await fc.assert(
      fc.asyncProperty(payload, async (bytes) => {
        const response = await rawExchange(handler, bytes);
        expect(schemas.some((schema) => parse(schema, response).ok)).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(serverTree.head.hash).toBe(main.state.tipHash);
  });
});

describe('PeerRateLimiter', () => {
  it('counts per key per fixed window and says when to retry', () => {
    let t = 0;
    const limiter = new PeerRateLimiter({ limit: 2, windowMs: 100, now: () => t });
    expect(limiter.take('a')).toEqual({ ok: true });
    t = 40;
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 60 });
    expect(limiter.take('b')).toEqual({ ok: true });
    t = 100;
    expect(limiter.take('a')).toEqual({ ok: true });
  });

  it('remembers a bounded number of peers', () => {
    let t = 0;
    const limiter = new PeerRateLimiter({ limit: 1, windowMs: 100, maxPeers: 10, now: () => t });
    for (let i = 0; i < 50; i++) limiter.take(`peer-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
    // The most recent peers are the ones still limited.
    expect(limiter.take('peer-49').ok).toBe(false);
    t = 1_000;
    for (let i = 0; i < 5; i++) limiter.take(`late-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
  });
});
