// Issue 5 end to end: the real relay and four separate headless Chromium processes running the
// app. Pages find each other through the relay, connect directly over WebRTC, gossip signed
// blocks (validated before forwarding), drop forged and malformed messages, keep gossiping after
// the relay dies, and a page opened later syncs the chain from its peers.
import '../../relay/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { startRelay } from '../../relay/relay.js';
import { buildDevChain, devKeys } from '../../src/core/devChain';
import { encodeCanonical } from '../../src/core/encoding';
import type { Block } from '../../src/core/schemas';
import { LOCAL_TESTNET } from '../../src/node/networks';
import { openAppPage } from '../support/browsers';

type Relay = Awaited<ReturnType<typeof startRelay>>;

let relay: Relay | null = null;
let keyDir: string;
const browsers: Browser[] = [];

test.beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'doin-net-'));
});

test.afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await relay?.stop();
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

test('browsers meet through the relay, talk directly, validate gossip, survive the relay and sync', async ({
  playwright,
}) => {
  test.setTimeout(240_000);
  const keyPath = join(keyDir, 'relay-key');
  relay = await startRelay({ port: 0, httpPort: 0, keyPath });
  const { wsPort, httpPort, appUrl } = relay;

  // The URL `npm start` prints: the page finds the relay that served it through /status.
  const openPage = (name: string) =>
    openAppPage(playwright.chromium, browsers, `${appUrl}?debug=1&profile=${name}`, name);
  const status = (page: Page) => page.evaluate(() => window.doin.status());
  const directPeers = async (page: Page) =>
    (await status(page)).connections.filter((c) => c.transport === 'webrtc').map((c) => c.peerId);

  const [a, b, c] = await Promise.all([openPage('a'), openPage('b'), openPage('c')]);
  const pages = [a, b, c];
  const ids = await Promise.all(pages.map(async (p) => (await status(p)).peerId));
  expect(new Set(ids).size).toBe(3);
  for (const page of pages) expect((await status(page)).mode).toBe('network');

  // 1. Everyone reports a direct WebRTC connection to both others in window.doin.status().
  for (const [i, page] of pages.entries()) {
    const others = ids.filter((_, j) => j !== i);
    await expect
      .poll(
        async () => {
          const direct = await directPeers(page);
          return others.every((id) => direct.includes(id));
        },
        {
          timeout: 90_000,
          intervals: [1_000],
        },
      )
      .toBe(true);
  }

  // Each page remembers the peers it reached directly, for the next visit (per profile).
  for (const [i, page] of pages.entries()) {
    const book = await page.evaluate(
      (key) => localStorage.getItem(key) ?? '',
      `doin:${['a', 'b', 'c'][i]}:peers`,
    );
    for (const [j, id] of ids.entries()) if (j !== i) expect(book).toContain(id);
  }

  // 2. A signed block from A reaches B and C (each validates it before forwarding).
  const chain = buildDevChain(LOCAL_TESTNET, { length: 25, keys: devKeys(5, 'e2e net') });
  const first = chain.blocks.slice(0, 20);
  const imported = await a.evaluate((blocks) => window.doinDebug?.importBlocks(blocks), first);
  expect(imported).toMatchObject({ added: 20, errors: [] });
  const headAt = (height: number) => chain.hashes[height - 1];
  for (const page of [b, c]) {
    await expect
      .poll(async () => (await status(page)).head, { timeout: 30_000 })
      .toEqual({ height: 20, hash: headAt(20) });
  }

  // 3. A forged block (signature no longer matches) and malformed bytes are dropped by the first
  //    receivers: counted as rejected, never applied, never delivered.
  const forged = structuredClone(chain.blocks[20] as Block);
  forged.header.timestamp += 1;
  const forgedBytes = [...encodeCanonical(forged)];
  const garbage = [0xa1, 0x61, 0x78, 0xff, 0x00];
  const before = await Promise.all(
    [b, c].map((p) => p.evaluate(() => window.doinDebug?.gossipStats())),
  );
  await a.evaluate(
    async ([blockBytes, junk]) => {
      await window.doinDebug?.publishRaw('doin/1/block', blockBytes);
      await window.doinDebug?.publishRaw('doin/1/tx', junk);
    },
    [forgedBytes, garbage] as const,
  );
  for (const [i, page] of [b, c].entries()) {
    await expect
      .poll(
        async () => {
          const stats = await page.evaluate(() => window.doinDebug?.gossipStats());
          return [
            (stats?.['doin/1/block'].rejected ?? 0) - (before[i]?.['doin/1/block'].rejected ?? 0),
            (stats?.['doin/1/tx'].rejected ?? 0) - (before[i]?.['doin/1/tx'].rejected ?? 0),
          ];
        },
        { timeout: 20_000 },
      )
      .toEqual([1, 1]);
    expect((await status(page)).head.height).toBe(20);
    const reasons = await page.evaluate(() => window.doinDebug?.rejections().map((r) => r.reason));
    expect(reasons).toEqual(expect.arrayContaining(['bad-signature']));
    const delivered = await page.evaluate(() => window.doinDebug?.received() ?? []);
    expect(delivered.filter((m) => m.topic === 'doin/1/tx')).toHaveLength(0);
    // …and they cost A its gossipsub score with this peer.
    // (gossipsub refreshes scores on its heartbeat, hence the poll.)
    await expect
      .poll(() => page.evaluate((id) => window.doinDebug?.score(id) ?? 0, ids[0] as string), {
        timeout: 5_000,
      })
      .toBeLessThan(0);
  }

  // 4. The relay dies; the pages keep gossiping over their direct connections.
  await relay.stop();
  relay = null;
  for (const page of pages) {
    await expect
      .poll(async () => (await status(page)).network?.relay.status, { timeout: 20_000 })
      .not.toBe('connected');
  }
  const rest = chain.blocks.slice(20);
  const afterRelay = await a.evaluate((blocks) => window.doinDebug?.importBlocks(blocks), rest);
  expect(afterRelay).toMatchObject({ added: 5, errors: [] });
  const sentDigests = afterRelay?.sent.map((s) => s.digest) ?? [];
  for (const page of [b, c]) {
    await expect
      .poll(async () => (await status(page)).head, { timeout: 30_000 })
      .toEqual({ height: 25, hash: headAt(25) });
    // Delivered as gossip (not only fetched by sync), with no relay in between.
    const got = await page.evaluate(() => window.doinDebug?.received().map((m) => m.digest) ?? []);
    expect(got).toEqual(expect.arrayContaining(sentDigests));
  }

  // 5. The relay comes back at the same address (same key); pages reconnect on their own, and a
  //    fourth page opened now syncs the whole chain from its peers.
  relay = await startRelay({ port: wsPort, httpPort, keyPath });
  for (const page of pages) {
    await expect
      .poll(async () => (await status(page)).network?.relay.status, {
        timeout: 60_000,
        intervals: [1_000],
      })
      .toBe('connected');
  }
  const d = await openPage('d');
  await expect
    .poll(async () => (await status(d)).head, { timeout: 90_000, intervals: [1_000] })
    .toEqual({ height: 25, hash: headAt(25) });
  expect((await directPeers(d)).length).toBeGreaterThan(0);
});
