#!/usr/bin/env node
// Screenshots of the app for the README (docs/screenshots/*.png): starts a relay on a fast test
// network, opens three pages in their own headless Chromium processes (Debian's, never a
// downloaded one), lets them make a few blocks, and saves the main views of the first page.
//
//   npx vite build && node scripts/screenshots.mjs [--out docs/screenshots] [--blocks 4]
import '../relay/polyfills.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startRelay } from '../relay/relay.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const flags = JSON.parse(await readFile(join(root, 'scripts/chromium.json'), 'utf8'));
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'docs/screenshots') },
    blocks: { type: 'string', default: '4' },
    timeout: { type: 'string', default: '300' },
  },
});
const minBlocks = Number(args.blocks);
const deadline = Date.now() + Number(args.timeout) * 1000;
const DESKTOP = { width: 1100, height: 800 };
const PHONE = { width: 390, height: 844 };

const log = (/** @type {string} */ text) => console.log(`[screenshots] ${text}`);

async function waitFor(/** @type {string} */ what, /** @type {() => Promise<boolean>} */ check) {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const dir = await mkdtemp(join(tmpdir(), 'doin-screenshots-'));
/** @type {import('playwright-core').Browser[]} */
const browsers = [];
/** @type {Awaited<ReturnType<typeof startRelay>> | null} */
let relay = null;
try {
  // The local test net's domains, with 4 s blocks and a genesis just behind us.
  const base = JSON.parse(await readFile(join(root, 'networks/local-testnet.json'), 'utf8'));
  const network = {
    ...base,
    name: 'doin-demo',
    genesisTimestamp: Date.now() - 60_000,
    targetBlockTimeMs: 4_000,
  };
  const networkPath = join(dir, 'network.json');
  await writeFile(networkPath, JSON.stringify(network, null, 2));
  relay = await startRelay({ port: 0, httpPort: 0, keyPath: join(dir, 'relay-key'), networkPath });
  log(`relay at ${relay.appUrl}`);

  const open = async (/** @type {string} */ name, /** @type {string} */ query) => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? flags.executablePath,
      headless: true,
      args: flags.args,
    });
    browsers.push(browser);
    const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'light' });
    const page = await context.newPage();
    page.on('pageerror', (err) => log(`${name} page error: ${err.message}`));
    await page.goto(`${relay?.appUrl}?backend=wasm&profile=${name}${query}`);
    await page.waitForFunction(() => typeof window.doin === 'object');
    await page.evaluate(() => window.doin.ready);
    return page;
  };
  // All three train the forecaster (a real tfjs model): a page evaluates only the commits of
  // the domain it works on, so a domain needs at least two pages to verify anything.
  const [a, b, c] = await Promise.all(
    ['shot-a', 'shot-b', 'shot-c'].map((name) =>
      open(name, '&domain=mackey-glass&steps=300&autostart=1'),
    ),
  );
  if (!a || !b || !c) throw new Error('pages did not open');
  const status = (/** @type {import('playwright-core').Page} */ p) =>
    p.evaluate(() => window.doin.status());

  await waitFor(`${minBlocks} blocks`, async () => {
    const s = await status(a);
    const w = s.work;
    log(
      `height ${s.head.height}, best ${s.domains.find((d) => d.id === 'mackey-glass')?.best}; ` +
        `page a: ${w?.proposed} trained, ${w?.votesCast} votes, ${w?.verified} verified`,
    );
    return s.head.height >= minBlocks && s.balance > 200_000_000;
  });

  // A transfer, so the wallet has some history.
  const to = (await status(b)).peerId;
  await a.evaluate(async () => {
    location.hash = '#/wallet';
  });
  await a.getByTestId('send-to').fill(to);
  await a.getByTestId('send-amount').fill('1.25');
  await a.getByLabel('Memo (optional, public)').fill('thanks for the votes');
  await a.getByRole('button', { name: 'Send', exact: true }).click();
  await a.getByTestId('send-ok').waitFor();
  await waitFor('the transfer in a block', async () =>
    a
      .getByTestId('sent-state')
      .first()
      .textContent()
      .then((t) => t === 'in a block'),
  );

  await mkdir(args.out, { recursive: true });
  const shot = async (/** @type {string} */ name, /** @type {string} */ hash, ready = '') => {
    await a.evaluate((h) => {
      location.hash = h;
    }, hash);
    if (ready) await a.locator(ready).first().waitFor({ timeout: 60_000 });
    await a.waitForTimeout(1200); // let charts and ticking values settle
    await a.evaluate(() => window.scrollTo(0, 0));
    const path = join(args.out, `${name}.png`);
    await a.screenshot({ path });
    log(`saved ${path}`);
  };

  await shot('home', '#/', '[data-testid^="chart-plot-"] canvas');
  // A block holding optimae (and, if it is the one, the transfer).
  const blocks = await a.evaluate(() => window.doin.blocks({ limit: 50 }));
  const withTransfer = blocks.find((x) => x.transfers > 0);
  const withOptimae = withTransfer ?? blocks.find((x) => x.optimae > 0) ?? blocks[0];
  await shot('explorer', '#/explorer', '[data-testid="block-row"]');
  await shot('block', `#/explorer/block/${withOptimae?.hash}`, '[data-testid="block-detail"]');
  await a.evaluate(() => {
    location.hash = '#/models/mackey-glass';
  });
  await a.locator('[data-testid="forecast-chart"] canvas').waitFor({ timeout: 120_000 });
  await a.getByRole('button', { name: 'Predict the next value' }).click();
  await a.getByTestId('prediction').waitFor();
  await a.waitForTimeout(800);
  // The playground, below the sticky header.
  await a.evaluate(() => {
    const top = document.querySelector('[data-testid="playground"]')?.getBoundingClientRect().top;
    window.scrollBy(0, (top ?? 0) - 70);
  });
  await a.screenshot({ path: join(args.out, 'models.png') });
  log('saved models.png');
  await shot('wallet', '#/wallet', '[data-testid="history"]');
  await shot('settings', '#/settings');
  await a.setViewportSize(PHONE);
  await shot('phone', '#/', '[data-testid^="chart-plot-"] canvas');

  // The widget as an embedding site shows it (a small iframe-sized page), caught up with the chain.
  const widget = await a.context().newPage();
  await widget.setViewportSize({ width: 360, height: 300 });
  await widget.goto(`${relay?.appUrl}widget.html?backend=wasm&profile=shot-widget`);
  await widget.waitForFunction(() => typeof window.doin === 'object');
  await widget.evaluate(() => window.doin.ready);
  const height = (await status(a)).head.height;
  await waitFor('the widget to catch up', async () =>
    widget.evaluate((h) => window.doin.status().head.height >= h, height),
  );
  await widget.waitForTimeout(1500);
  await widget.screenshot({ path: join(args.out, 'widget.png') });
  log('saved widget.png');
} finally {
  await Promise.all(browsers.map((browser) => browser.close().catch(() => {})));
  await relay?.stop();
  await rm(dir, { recursive: true, force: true });
}
