// The network part of `npm run bench`: the real relay and N separate headless Chromium processes
// running the app on it. Measures (1) how long the swarm takes to connect every pair directly,
// (2) block gossip latency from one page to all others (p50/p95/max over every block × receiver,
// one clock: all pages run on this machine), (3) how fast a page validates imported blocks, and
// (4) sync throughput: a new page joining a chain of `syncLength` blocks, fully validated.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay } from '../relay/relay.js';
import { launchNode } from '../swarm/launch.mjs';

/**
 * @param {object} options
 * @param {number} options.peers pages in the swarm
 * @param {number} options.gossipBlocks blocks sent one by one for the latency figures
 * @param {number} options.syncLength chain length the joining page syncs
 */
export async function runNetworkBench({ peers, gossipBlocks, syncLength }) {
  const keyDir = await mkdtemp(join(tmpdir(), 'doin-bench-'));
  const relay = await startRelay({ port: 0, httpPort: 0, keyPath: join(keyDir, 'relay-key') });
  /** Each page in its own Chromium process, started as the swarm starts its nodes. */
  /** @type {import('../swarm/launch.mjs').LaunchedNode[]} */
  const nodes = [];
  const openPage = async (/** @type {string} */ name) => {
    const node = await launchNode({
      url: `${relay.appUrl}?debug=1&profile=${name}`,
      name,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    nodes.push(node);
    return node.page;
  };
  try {
    const startedAt = Date.now();
    const pages = await Promise.all(Array.from({ length: peers }, (_, i) => openPage(`p${i}`)));
    const ids = await Promise.all(pages.map((p) => p.evaluate(() => window.doin.status().peerId)));
    const fullMesh = await waitFor(async () => {
      const counts = await Promise.all(pages.map(directCount));
      return counts.every((n) => n === peers - 1);
    }, 90_000);
    const meshMs = Date.now() - startedAt;
    const directConnections = await Promise.all(pages.map(directCount));

    // The chain is built by the bench page (TypeScript, bundled); pages get it as plain data.
    const builder = await (nodes[0]?.browser ?? fail('no browser')).newPage();
    await builder.goto(new URL('/bench.html', relay.appUrl).href);
    await builder.waitForFunction(() => typeof window.doinBench === 'object');
    const chain = await builder.evaluate(
      (length) => window.doinBench.devChain(length, 'network bench'),
      syncLength,
    );
    await builder.close();

    // Gossip latency: the origin imports (validates) and gossips one block at a time.
    const [origin, ...receivers] = pages;
    if (!origin) fail('no pages');
    /** @type {{ digest: string, at: number }[]} */
    const sent = [];
    for (const block of chain.blocks.slice(0, gossipBlocks)) {
      const report = await origin.evaluate((b) => window.doinDebug?.importBlocks([b]), block);
      sent.push(...(report?.sent ?? []));
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(async () => {
      const heads = await Promise.all(
        receivers.map((p) => p.evaluate(() => window.doin.status().head.height)),
      );
      return heads.every((h) => h >= gossipBlocks);
    }, 30_000);
    /** @type {number[]} */
    const latencies = [];
    let missing = 0;
    for (const page of receivers) {
      const got = await page.evaluate(() => window.doinDebug?.received() ?? []);
      const at = new Map(got.map((m) => [m.digest, m.at]));
      for (const s of sent) {
        const t = at.get(s.digest);
        if (t === undefined) missing++;
        else latencies.push(t - s.at);
      }
    }

    // Local validation speed, then a new page syncing the whole chain from the swarm.
    const importStart = Date.now();
    const rest = await origin.evaluate(
      (blocks) => window.doinDebug?.importBlocks(blocks),
      chain.blocks.slice(gossipBlocks),
    );
    const importMs = Date.now() - importStart;
    await waitFor(async () => {
      const heads = await Promise.all(
        receivers.map((p) => p.evaluate(() => window.doin.status().head.height)),
      );
      return heads.every((h) => h === syncLength);
    }, 180_000);
    const joinStart = Date.now();
    const joiner = await openPage('joiner');
    const synced = await waitFor(
      () => joiner.evaluate((n) => window.doin.status().head.height === n, syncLength),
      180_000,
    );
    const joinMs = Date.now() - joinStart;
    const syncs = await joiner.evaluate(() => window.doinDebug?.syncs() ?? []);
    const syncedBlocks = syncs.reduce((s, r) => s + r.added, 0);
    const syncMs = syncs.reduce((s, r) => s + r.ms, 0);

    latencies.sort((x, y) => x - y);
    return {
      peers,
      peerIds: ids.length,
      fullMesh,
      msUntilEveryPairConnectedDirectly: fullMesh ? meshMs : null,
      directConnectionsPerPage: directConnections,
      gossip: {
        blocks: sent.length,
        receivers: receivers.length,
        samples: latencies.length,
        missing,
        p50Ms: quantile(latencies, 0.5),
        p95Ms: quantile(latencies, 0.95),
        maxMs: latencies.at(-1) ?? null,
        budgetP95Ms: 200,
        withinBudget: missing === 0 && (quantile(latencies, 0.95) ?? Infinity) <= 200,
      },
      localImport: {
        blocks: rest?.added ?? 0,
        ms: importMs,
        blocksPerSecond: round(((rest?.added ?? 0) / importMs) * 1000),
      },
      sync: {
        chainLength: syncLength,
        synced,
        blocksFetchedAndValidated: syncedBlocks,
        syncMs: round(syncMs),
        blocksPerSecond: syncMs > 0 ? round((syncedBlocks / syncMs) * 1000) : null,
        msFromPageOpenToHead: joinMs,
        budgetMs: 5_000,
        withinBudget: synced && syncMs <= 5_000,
        bySync: syncs,
      },
    };
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await relay.stop();
    await rm(keyDir, { recursive: true, force: true });
  }
}

/** Distinct peers this page reaches over a direct WebRTC connection. @param {import('playwright-core').Page} page */
function directCount(page) {
  return page.evaluate(
    () =>
      new Set(
        window.doin
          .status()
          .connections.filter((c) => c.transport === 'webrtc')
          .map((c) => c.peerId),
      ).size,
  );
}

/**
 * Polls until `check` is true or the time is up; resolves to whether it became true.
 * @param {() => Promise<boolean>} check
 * @param {number} timeoutMs
 */
async function waitFor(check, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** @param {number[]} sorted @param {number} q */
function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

/** @param {number} x */
function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** @param {string} message @returns {never} */
function fail(message) {
  throw new Error(message);
}
