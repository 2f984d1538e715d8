// Two browsers (separate Chromium processes) meet through the real relay, upgrade to a direct
// WebRTC connection and exchange gossip (issue 5).
import '../../relay/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { startRelay } from '../../relay/relay.js';
import chromium from '../../scripts/chromium.json' with { type: 'json' };

type Relay = Awaited<ReturnType<typeof startRelay>>;

let relay: Relay;
let keyDir: string;
const browsers: Browser[] = [];

test.beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'doin-net-'));
  relay = await startRelay({ port: 0, httpPort: 0, keyPath: join(keyDir, 'relay-key') });
});

test.afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await relay?.stop();
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

test('two browsers connect directly over WebRTC and gossip', async ({ playwright, baseURL }) => {
  test.setTimeout(120_000);
  const relayAddr = relay.multiaddrs.find((ma) => ma.includes('/ws/'));
  expect(relayAddr).toBeDefined();

  async function openPage(): Promise<Page> {
    const browser = await playwright.chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
      args: chromium.args,
    });
    browsers.push(browser);
    const page = await browser.newPage();
    if (process.env.NET_DEBUG) {
      await page.addInitScript((d) => localStorage.setItem('debug', d), process.env.NET_DEBUG);
      page.on('console', (msg) => console.log(`[console] ${msg.text()}`));
    }
    page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
    await page.goto(new URL('/net.html', baseURL).toString());
    await page.waitForFunction(() => typeof window.doinNet === 'object');
    return page;
  }

  const [a, b] = await Promise.all([openPage(), openPage()]);
  const [idA, idB] = await Promise.all([
    a.evaluate((addr) => window.doinNet.start(addr), relayAddr as string),
    b.evaluate((addr) => window.doinNet.start(addr), relayAddr as string),
  ]);
  expect(idA).not.toBe(idB);

  // B holds a relay reservation and so a relayed /webrtc address; A dials it.
  await b.waitForFunction(() => window.doinNet.addrs().length > 0, null, { timeout: 30_000 });
  const addrB = (await b.evaluate(() => window.doinNet.addrs()))[0] as string;
  // One dial was seen to time out on a cold start (libp2p's "signal timed out"); retry a little.
  await expect
    .poll(
      () =>
        a.evaluate(
          (addr) =>
            window.doinNet.dial(addr).then(
              () => 'ok',
              (err: unknown) => String(err),
            ),
          addrB,
        ),
      { timeout: 45_000, intervals: [250] },
    )
    .toBe('ok');

  const hasWebrtcTo = (page: Page, peerId: string) =>
    page.waitForFunction(
      (id) => window.doinNet.peers().some((p) => p.peerId === id && p.transport === 'webrtc'),
      peerId,
      { timeout: 30_000 },
    );
  await Promise.all([hasWebrtcTo(a, idB), hasWebrtcTo(b, idA)]);

  // Gossipsub needs a moment to exchange subscriptions and graft; retry the publish until B has it.
  const text = `hello from A ${Date.now()}`;
  await expect
    .poll(
      async () => {
        await a.evaluate((t) => window.doinNet.publish('doin/1/tx', t).catch(() => 0), text);
        return b.evaluate(
          (t) => window.doinNet.received().some((m) => m.topic === 'doin/1/tx' && m.text === t),
          text,
        );
      },
      { timeout: 30_000, intervals: [500] },
    )
    .toBe(true);
  const got = await b.evaluate(() => window.doinNet.received());
  expect(got.find((m) => m.text === text)?.from).toBe(idA);
});
