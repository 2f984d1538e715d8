// @ts-check
// The participant part of `npm run bench` (issue 6): for 1, 2 and 4 headless peers on a fresh
// relay and a fresh network holding only the forecasting domain (mackey-glass), how long until
// the chain's best metric reaches a fixed target (the network must beat one peer), blocks per
// minute against the target block time, and the share of each peer's compute spent verifying.
//
// Verification share: the page has no per-peer compute-time counter, so it is estimated from
// counts and one measurement on the bench page (same backend, same steps per candidate):
//   verificationFraction = votesCast × evaluateMs / (proposed × optimizeMs + votesCast × evaluateMs)
// where optimizeMs is one candidate's training (`steps` optimize steps) and evaluateMs one
// evaluation. It ignores block validation, hashing and networking (small next to tfjs work).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay } from '../relay/relay.js';
import { launchBrowser, launchNode } from '../swarm/launch.mjs';

const DOMAIN = 'mackey-glass';
const FORMULA =
  'votesCast * evaluateMs / (proposed * optimizeMs + votesCast * evaluateMs), ' +
  'optimizeMs and evaluateMs measured once on /bench.html with the same backend and steps';

/**
 * @param {object} options
 * @param {string} options.root repository root (for networks/local-testnet.json)
 * @param {number[]} options.peerCounts swarm sizes, each on a fresh relay and network
 * @param {number} options.target the mackey-glass MSE to reach
 * @param {number} options.steps optimize steps per candidate (?steps=)
 * @param {number} options.targetBlockTimeMs the network's target block time
 * @param {number} options.timeoutMs give up on reaching the target after this long
 * @param {number} options.soloTimeoutMs how long to watch a single peer (it cannot verify alone)
 * @param {string} [options.backend] compute backend (?backend=)
 */
export async function runParticipantBench({
  root,
  peerCounts,
  target,
  steps,
  targetBlockTimeMs,
  timeoutMs,
  soloTimeoutMs,
  backend = 'wasm',
}) {
  const base = JSON.parse(await readFile(join(root, 'networks/local-testnet.json'), 'utf8'));
  const domain = base.domains.find((/** @type {{ id: string }} */ d) => d.id === DOMAIN);
  if (!domain) throw new Error(`networks/local-testnet.json has no ${DOMAIN}`);

  /** @type {{ optimizeMs: number, evaluateMs: number } | null} */
  let cost = null;
  const runs = [];
  for (const peers of peerCounts) {
    const dir = await mkdtemp(join(tmpdir(), 'doin-bench-participant-'));
    const networkPath = join(dir, 'network.json');
    const network = {
      ...base,
      name: `doin-bench-forecast-${peers}`,
      genesisTimestamp: Date.now() - 60_000,
      targetBlockTimeMs,
      domains: [domain],
    };
    await writeFile(networkPath, JSON.stringify(network, null, 2));
    const relay = await startRelay({
      port: 0,
      httpPort: 0,
      keyPath: join(dir, 'relay-key'),
      networkPath,
    });
    /** Each peer in its own Chromium process, started as the swarm starts its nodes. */
    /** @type {import('../swarm/launch.mjs').LaunchedNode[]} */
    const nodes = [];
    try {
      if (!cost) {
        // One measurement of the costs behind the verification share, before any peer runs.
        const browser = await launchBrowser();
        try {
          const page = await browser.newPage();
          await page.goto(new URL('/bench.html', relay.appUrl).href);
          await page.waitForFunction(() => typeof window.doinBench === 'object');
          const run = await page.evaluate((o) => window.doinBench.run(o), {
            domainId: DOMAIN,
            steps,
            backend,
          });
          cost = { optimizeMs: run.optimize.ms, evaluateMs: run.evaluate.ms };
        } finally {
          await browser.close();
        }
      }
      const url = (/** @type {number} */ i) =>
        `${relay.appUrl}?autostart=1&domain=${DOMAIN}&backend=${backend}&steps=${steps}` +
        `&debug=1&profile=p${i}`;
      const openPage = async (/** @type {number} */ i) => {
        const node = await launchNode({
          url: url(i),
          name: `p${i}`,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        nodes.push(node);
        return node.page;
      };
      const startedAt = Date.now();
      const pages = await Promise.all(Array.from({ length: peers }, (_, i) => openPage(i)));
      const [first] = pages;
      if (!first) throw new Error('no pages');
      const best = async () =>
        first.evaluate(
          (id) => window.doin.status().domains.find((d) => d.id === id)?.best ?? null,
          DOMAIN,
        );
      /** @type {{ s: number, best: number | null, height: number }[]} */
      const trace = [];
      let lastTrace = 0;
      const limit = peers === 1 ? Math.min(soloTimeoutMs, timeoutMs) : timeoutMs;
      let reachedAt = null;
      while (Date.now() - startedAt < limit) {
        const b = await best();
        const height = await first.evaluate(() => window.doin.status().head.height);
        if (Date.now() - lastTrace >= 10_000) {
          trace.push({ s: Math.round((Date.now() - startedAt) / 1000), best: b, height });
          lastTrace = Date.now();
        }
        if (b !== null && b <= target) {
          reachedAt = Date.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      const endedAt = reachedAt ?? Date.now();
      const statuses = await Promise.all(pages.map((p) => p.evaluate(() => window.doin.status())));
      const head = statuses[0]?.head.height ?? 0;
      const finalBest = statuses[0]?.domains.find((d) => d.id === DOMAIN)?.best ?? null;
      const minutes = (endedAt - startedAt) / 60_000;
      const c = cost;
      runs.push({
        peers,
        msToTarget: reachedAt === null ? null : reachedAt - startedAt,
        reachedTarget: reachedAt !== null,
        note:
          peers === 1 && reachedAt === null
            ? 'cannot verify alone: the open bootstrap quorum takes votes only from peers other ' +
              `than the optimizer (watched ${Math.round(limit / 1000)} s)`
            : undefined,
        msWatched: endedAt - startedAt,
        finalBest,
        height: head,
        blocksPerMinute: round(head / minutes),
        targetBlocksPerMinute: round(60_000 / targetBlockTimeMs),
        perPeer: statuses.map((s) => {
          const w = s.work ?? {
            proposed: 0,
            committed: 0,
            votesCast: 0,
            blocksMade: 0,
            verified: 0,
          };
          const verifyMs = w.votesCast * c.evaluateMs;
          const total = w.proposed * c.optimizeMs + verifyMs;
          return {
            proposed: w.proposed,
            committed: w.committed,
            votesCast: w.votesCast,
            blocksMade: w.blocksMade,
            verified: w.verified,
            rejected: s.work?.rejected ?? 0,
            pool: s.work?.pool ?? 0,
            lastError: s.work?.lastError ?? null,
            verificationFraction: total > 0 ? round(verifyMs / total, 4) : null,
          };
        }),
        trace,
      });
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await relay.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const solo = runs.find((r) => r.peers === 1);
  const fastest = runs
    .filter((r) => r.peers > 1 && r.msToTarget !== null)
    .sort((a, b) => (a.msToTarget ?? 0) - (b.msToTarget ?? 0))[0];
  return {
    domain: DOMAIN,
    target,
    stepsPerCandidate: steps,
    backend,
    targetBlockTimeMs,
    timeoutMs,
    cost: cost && { optimizeMs: round(cost.optimizeMs), evaluateMs: round(cost.evaluateMs) },
    verificationFractionFormula: FORMULA,
    // null when one peer was not run; true when some larger swarm reached the target and one
    // peer did not, or did later.
    networkBeatsOnePeer:
      solo === undefined
        ? null
        : fastest !== undefined &&
          (solo.msToTarget === null || (fastest.msToTarget ?? Infinity) < solo.msToTarget),
    runs,
  };
}

/** @param {number} x */
function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
