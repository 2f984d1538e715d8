// Issue 6 end to end: three separate headless Chromium processes with autostart on the cheap
// domain and a test net of a few seconds per block. They optimize, verify each other's
// candidates in quorums, make blocks, and agree on one chain with rewards for the work.
import '../../relay/polyfills.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { startRelay } from '../../relay/relay.js';
import chromium from '../../scripts/chromium.json' with { type: 'json' };
import { createNetworkParams } from '../../src/core/params';
import { quadraticDescriptor } from '../../src/domains/quadratic';

type Relay = Awaited<ReturnType<typeof startRelay>>;
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
  const network = createNetworkParams({
    name: 'doin-e2e-fast',
    genesisTimestamp: Date.now() - 60_000,
    targetBlockTimeMs: 3_000,
    domains: [quadraticDescriptor],
  });
  const networkPath = join(dir, 'network.json');
  await writeFile(networkPath, JSON.stringify(network));
  relay = await startRelay({ port: 0, httpPort: 0, keyPath: join(dir, 'relay-key'), networkPath });
  const appUrl = relay.appUrl;

  async function openPage(name: string): Promise<Page> {
    const browser = await playwright.chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
      args: chromium.args,
    });
    browsers.push(browser);
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.log(`[${name} page error] ${err.message}`));
    await page.goto(`${appUrl}?autostart=1&domain=quadratic-16&debug=1&profile=${name}`);
    await page.waitForFunction(() => typeof window.doin === 'object');
    await page.evaluate(() => window.doin.ready);
    return page;
  }
  const pages = await Promise.all(['a', 'b', 'c'].map(openPage));
  const status = (page: Page) => page.evaluate(() => window.doin.status());

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
  expect(new Set(ids).size).toBe(3);
});
