// Issue 6 end to end: three separate headless Chromium processes with autostart on the cheap
// domain and a test net of a few seconds per block. They optimize, verify each other's
// candidates in quorums, make blocks, and agree on one chain with rewards for the work.
import '../../relay/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { blockHash } from '../../src/core/objects';
import { quadraticDescriptor } from '../../src/domains/quadratic';
import { parseArchive } from '../../src/storage/archive';
import { openAppPage } from '../support/browsers';
import { type Relay, startFastRelay } from '../support/testnet';

let relay: Relay | null = null;
let dir: string;
const browsers: Browser[] = [];

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doin-participant-'));
});
test.afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await relay?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('pages optimize, verify each other and agree on a chain with rewards', async ({
  playwright,
}) => {
  test.setTimeout(240_000);
  relay = await startFastRelay(dir, 'doin-e2e-fast');
  const appUrl = relay.appUrl;

  // wasm: skip measuring every backend on a 2-core box (the choice itself is tested elsewhere);
  // 4 steps per candidate: each candidate improves the cheap domain a little, so blocks keep
  // coming instead of one candidate solving it.
  const openPage = (name: string, autostart = true) =>
    openAppPage(
      playwright.chromium,
      browsers,
      `${appUrl}?domain=quadratic-16&backend=wasm&steps=4&debug=1&profile=${name}${autostart ? '&autostart=1' : ''}`,
      name,
    );
  // Four honest pages: once evaluators are established, quorums are drawn from them, and with
  // one page away (the reload below) the other members must still make a 2/3 majority.
  const pages = await Promise.all(['a', 'b', 'c', 'd'].map((name) => openPage(name)));
  const status = (page: Page) => page.evaluate(() => window.doin.status());
  // A fourth page claims twice as good a metric as it measured, and does no honest work.
  const liar = await openPage('liar', false);
  await liar.evaluate(async () => {
    window.doinDebug?.cheat(0.5);
    await window.doin.start();
  });

  // Everyone on the same head at height ≥ 3.
  await expect
    .poll(
      async () => {
        const heads = await Promise.all(pages.map(async (p) => (await status(p)).head));
        const same = heads.every((h) => h.hash === heads[0]?.hash);
        return same ? Math.min(...heads.map((h) => h.height)) : -1;
      },
      { timeout: 180_000, intervals: [2_000] },
    )
    .toBeGreaterThanOrEqual(3);

  const statuses = await Promise.all(pages.map(status));
  const ids = statuses.map((s) => s.peerId);
  for (const s of statuses) {
    expect(s.mode).toBe('network');
    expect(s.contributing).toBe(true);
  }
  // Work was shared: every page trained; votes were cast; some page made blocks; rewards landed.
  expect(statuses.reduce((n, s) => n + (s.work?.blocksMade ?? 0), 0)).toBeGreaterThanOrEqual(1);
  expect(statuses.reduce((n, s) => n + (s.work?.votesCast ?? 0), 0)).toBeGreaterThanOrEqual(2);
  expect(statuses.filter((s) => s.balance > 0).length).toBeGreaterThanOrEqual(2);
  expect(statuses[0]?.domains.find((d) => d.id === 'quadratic-16')?.best).toBeLessThan(
    quadraticDescriptor.initialBest,
  );
  expect(new Set(ids).size).toBe(4);

  // window.doin.infer answers from the chain's best parameters, in a worker.
  const answer = await pages[2]?.evaluate(() =>
    window.doin.infer('quadratic-16', new Array(16).fill(0)),
  );
  expect(typeof answer).toBe('number');

  // Blocks hold optimae verified by quorums of *other* peers.
  const blocks = (await pages[0]?.evaluate(() => window.doinDebug?.blocks() ?? [])) ?? [];
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  for (const block of blocks) {
    for (const o of block.optimae) {
      expect(o.voters.length).toBeGreaterThanOrEqual(1);
      expect(o.voters).not.toContain(o.optimizer);
    }
  }
  const optimae = blocks.flatMap((b) => b.optimae);
  expect(optimae.filter((o) => o.voters.length >= 2).length).toBeGreaterThanOrEqual(1);
  // A reload keeps the page's identity and chain (IndexedDB), and it catches up with the others:
  // b leaves (its chain saved), the others go on without it, b comes back at the same profile.
  const b = pages[1] as Page;
  const before = await status(b);
  await b.evaluate(() => window.doinDebug?.flushStorage());
  const appHref = b.url();
  await b.goto('about:blank');
  const first = pages[0] as Page;
  await expect
    .poll(async () => (await status(first)).head.height, { timeout: 90_000, intervals: [1_000] })
    .toBeGreaterThan(before.head.height);
  await b.goto(appHref);
  await b.waitForFunction(() => typeof window.doin === 'object');
  await b.evaluate(() => window.doin.ready);
  const after = await status(b);
  expect(after.peerId).toBe(before.peerId);
  expect(after.head.height).toBeGreaterThanOrEqual(before.head.height); // restored, not replayed
  const target = (await status(first)).head.height;
  await expect
    .poll(async () => (await status(b)).head.height, { timeout: 90_000, intervals: [1_000] })
    .toBeGreaterThanOrEqual(target);

  // The liar committed, but false claims earn nothing.
  await expect
    .poll(async () => (await status(liar)).work?.committed ?? 0, { timeout: 60_000 })
    .toBeGreaterThanOrEqual(1);
  const liarStatus = await status(liar);
  expect(liarStatus.balance).toBe(0);
  expect(liarStatus.head.height).toBeGreaterThanOrEqual(3);

  // Moving to another browser: page a exports its chain, a fresh Chromium imports it.
  const a = pages[0] as Page;
  const headBefore = (await status(a)).head;
  const archive = await a.evaluate(async () =>
    Array.from(await window.doin.exportArchive({ includeIdentity: false })),
  );
  const headAfter = (await status(a)).head;
  const fresh = await openPage('importer', false);
  const result = await fresh.evaluate(
    (bytes) => window.doin.importArchive(Uint8Array.from(bytes)),
    archive,
  );
  expect(result.identityReplaced).toBe(false);
  const exported = parseArchive(Uint8Array.from(archive)).blocks;
  expect(exported.length).toBeGreaterThanOrEqual(headBefore.height);
  expect(exported.length).toBeLessThanOrEqual(headAfter.height);
  expect(result.imported).toBe(exported.length);
  // The importer's head is a's head at export time or later (it may have synced on since).
  const exportedHead = exported.at(-1);
  expect(result.head.height).toBeGreaterThanOrEqual(exported.length);
  if (exportedHead && result.head.height === exported.length) {
    expect(result.head.hash).toBe(blockHash(exportedHead.header));
  }
});
