// Issue 7: the full-page app, driven through its UI. One test network (a relay, 3 s blocks, the
// cheap domain) and three pages, each in its own Chromium process, shared by the tests below:
// page a is started from its Start button; b and c start on their own and make blocks.
import '../../relay/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import type { NodeStatus } from '../../src/node/api';
import { openAppPage } from '../support/browsers';
import { type Relay, startFastRelay } from '../support/testnet';

const status = (page: Page): Promise<NodeStatus> => page.evaluate(() => window.doin.status());
const go = (page: Page, hash: string) =>
  page.evaluate((h) => {
    location.hash = h;
  }, hash);

test.describe
  .serial('the app', () => {
    let relay: Relay | null = null;
    let dir = '';
    const browsers: Browser[] = [];
    let a: Page;
    let b: Page;
    let c: Page;

    test.beforeAll(async ({ playwright }) => {
      test.setTimeout(120_000);
      dir = await mkdtemp(join(tmpdir(), 'doin-app-'));
      relay = await startFastRelay(dir, 'doin-e2e-app');
      const appUrl = relay.appUrl;
      // Cheap work: wasm (no backend race), 4 steps per candidate. Page a names no domain, so the
      // settings test can fix one; the network has only the cheap one to choose from anyway.
      const open = (name: string, query: string) =>
        openAppPage(
          playwright.chromium,
          browsers,
          `${appUrl}?backend=wasm&steps=4&profile=${name}${query}`,
          name,
        );
      [a, b, c] = await Promise.all([
        open('app-a', ''),
        open('app-b', '&domain=quadratic-16&autostart=1'),
        open('app-c', '&domain=quadratic-16&autostart=1'),
      ]);
    });

    test.afterAll(async () => {
      await Promise.all(browsers.map((browser) => browser.close()));
      await relay?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('Start in the page contributes; the counters and the chart move', async () => {
      test.setTimeout(240_000);
      await expect(a.getByTestId('contributing')).toHaveText('no');
      await expect(a.getByRole('link', { name: 'Contribute' })).toHaveAttribute(
        'aria-current',
        'page',
      );
      await a.getByRole('button', { name: 'Start', exact: true }).click();
      await expect(a.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
      await expect(a.getByTestId('contributing')).toHaveText('yes');
      expect((await status(a)).contributing).toBe(true);

      // The live view follows the chain the other pages are making.
      await expect
        .poll(async () => Number(await a.getByTestId('head-height').textContent()), {
          timeout: 180_000,
          intervals: [1_000],
        })
        .toBeGreaterThanOrEqual(2);
      // This page's own counters move: it trains candidates and votes on the others'.
      await expect
        .poll(
          async () => {
            const [candidates, votes] = await Promise.all([
              a.getByTestId('work-candidates').textContent(),
              a.getByTestId('work-votes').textContent(),
            ]);
            return `${candidates} | ${votes}`;
          },
          { timeout: 120_000, intervals: [1_000] },
        )
        .not.toBe('0 / 0 | 0 votes, 0 blocks');
      await expect(a.getByTestId('peer-count')).not.toHaveText('0');
      await expect(a.getByTestId('last-block-age')).toContainText('ago');
      await expect(a.getByTestId('threshold')).toHaveText(/\d/);
      await expect(a.getByTestId('backend')).toHaveText('wasm');
      // The chart of the best metric over blocks has points (one per verified improvement + head).
      await expect
        .poll(
          async () =>
            Number(
              (await a
                .getByTestId('chart-plot-quadratic-16')
                .getAttribute('data-points', { timeout: 1_000 })
                .catch(() => null)) ?? 0,
            ),
          { timeout: 120_000, intervals: [1_000] },
        )
        .toBeGreaterThanOrEqual(2);
      await expect(a.locator('[data-testid="chart-plot-quadratic-16"] canvas')).toBeVisible();
      // The GPU share applies to the running workers.
      await a.getByTestId('gpu-share').fill('60');
      await expect.poll(async () => (await status(a)).work?.dutyCycle).toBe(0.6);
    });

    test('the explorer shows a block made by another page, with its detail', async () => {
      test.setTimeout(120_000);
      const me = (await status(a)).peerId;
      const others = await Promise.all([b, c].map(status));
      // Generators are account ids: the hex key inside the peer id.
      const myAccount = await accountOf(me);
      const otherAccounts = await Promise.all(others.map((s) => accountOf(s.peerId)));
      await expect
        .poll(
          async () =>
            a.evaluate(
              async (ids) =>
                (await window.doin.blocks({ limit: 20 })).filter(
                  (x) => x.height > 0 && x.optimae > 0 && ids.includes(x.generator),
                ).length,
              otherAccounts,
            ),
          { timeout: 90_000, intervals: [1_000] },
        )
        .toBeGreaterThanOrEqual(1);
      await a.getByRole('link', { name: 'Explorer' }).click();
      await expect(a).toHaveURL(/#\/explorer$/);
      const rows = a.getByTestId('block-row');
      await expect(rows.first()).toBeVisible();
      // The list follows the head, so rows move down as blocks arrive: pick one by its hash.
      const listed = await rows.evaluateAll((els) =>
        els.map((el) => ({
          hash: el.getAttribute('data-hash') ?? '',
          height: el.getAttribute('data-height') ?? '',
          generator: el.getAttribute('data-generator') ?? '',
        })),
      );
      const picked = listed.find((x) => otherAccounts.includes(x.generator));
      if (!picked) throw new Error(`no block by another page in ${JSON.stringify(listed)}`);
      const { generator, height } = picked;
      expect(generator).not.toBe(myAccount);
      await a
        .locator(`[data-testid="block-row"][data-hash="${picked.hash}"]`)
        .getByRole('link', { name: `#${height}`, exact: true })
        .click();

      await expect(a).toHaveURL(/#\/explorer\/block\//);
      await expect(a.getByTestId('block-height')).toHaveText(height);
      await expect(a.getByTestId('block-generator')).toHaveAttribute('data-generator', generator);
      // Optimae: claimed vs verified metric, verdict and votes.
      const optimae = a.getByTestId('optimae');
      await expect(optimae.first()).toBeVisible();
      await expect(optimae.first().getByTestId('optimae-verified')).toHaveText(/\d/);
      await expect(optimae.first().getByTestId('optimae-claimed')).toHaveText(/\d/);
      await expect(optimae.first()).toContainText('votes');
      // Every account is a link: the generator's page shows its balance and history.
      await a.getByTestId('block-generator').getByRole('link').click();
      await expect(a.getByTestId('account-id')).toHaveText(generator);
      await expect(a.getByTestId('account-balance')).toContainText('DOIN');
      await expect(a.getByTestId('history')).toBeVisible();
      // Search by height.
      await a.getByTestId('explorer-search').fill('1');
      await a.getByTestId('explorer-search').press('Enter');
      await expect(a.getByTestId('block-height')).toHaveText('1');
    });

    test('the models playground returns a prediction', async () => {
      test.setTimeout(90_000);
      await a.getByRole('link', { name: 'Models' }).click();
      await expect(a.getByTestId('model-quadratic-16')).toBeVisible();
      await expect(a.getByTestId('model-best')).toContainText('better');
      await expect(a.getByTestId('model-source')).toContainText('block');
      await expect(a.getByTestId('playground-input')).not.toBeEmpty();
      await a.getByRole('button', { name: 'Predict', exact: true }).click();
      await expect(a.getByTestId('prediction')).toHaveText(/^\d/, { timeout: 60_000 });
      // A malformed input is refused in words.
      await a.getByTestId('playground-input').fill('1, 2, banana');
      await a.getByRole('button', { name: 'Predict', exact: true }).click();
      await expect(a.getByTestId('playground-error')).toContainText('banana');
    });

    test('the wallet shows address and balance; a transfer gets into a block', async () => {
      test.setTimeout(240_000);
      // Send from whichever page has earned the most so far, to another page.
      const pages = [a, b, c];
      await expect
        .poll(
          async () => Math.max(...(await Promise.all(pages.map(status))).map((s) => s.balance)),
          {
            timeout: 60_000,
          },
        )
        .toBeGreaterThan(100_000_000);
      const statuses = await Promise.all(pages.map(status));
      const richest = statuses.indexOf(
        statuses.reduce((best, s) => (s.balance > best.balance ? s : best)),
      );
      const sender = pages[richest] as Page;
      const recipient = statuses[(richest + 1) % 3] as NodeStatus;
      const senderStatus = statuses[richest] as NodeStatus;

      await go(sender, '#/wallet');
      await expect(sender.getByTestId('wallet-peer-id')).toHaveText(senderStatus.peerId);
      await expect(sender.getByTestId('wallet-address')).toHaveText(/^[0-9a-f]{64}$/);
      await expect(sender.getByTestId('wallet-balance')).toHaveText(/^[\d,]+\.\d+ DOIN$/);
      await expect(sender.getByTestId('wallet-balance')).not.toHaveText('0.00 DOIN');

      // The form checks the amount before anything is signed.
      await sender.getByTestId('send-to').fill(recipient.peerId);
      await sender.getByTestId('send-amount').fill('lots');
      await sender.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(sender.getByTestId('send-error')).toContainText('Amount');
      await sender.getByTestId('send-amount').fill('100000');
      await sender.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(sender.getByTestId('send-error')).toContainText('Not enough DOIN');

      // 0.5 DOIN to the other page's peer id (the wallet turns it into its account key).
      await sender.getByTestId('send-amount').fill('0.5');
      await sender.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(sender.getByTestId('send-ok')).toContainText('Signed and sent');
      await expect(sender.getByTestId('sent-state')).toHaveText('in a block', { timeout: 180_000 });
      await expect(sender.getByTestId('history-sent').first()).toContainText('0.50');
      // The recipient's account shows it as received, on any page's copy of the chain.
      const recipientAccount = await accountOf(recipient.peerId);
      await expect
        .poll(
          async () =>
            a.evaluate(
              async (id) =>
                (await window.doin.account(id)).history.filter(
                  (e) => e.kind === 'received' && e.amount === 50_000_000,
                ).length,
              recipientAccount,
            ),
          { timeout: 60_000, intervals: [1_000] },
        )
        .toBe(1);

      // Export: the chain as a file named after the network and height; the key only when
      // asked, with the warning. Import: a confirm step, then every block is checked.
      await sender.getByLabel('Include my key').check();
      await expect(sender.getByTestId('export-warning')).toContainText('IS the account');
      await sender.getByLabel('Include my key').uncheck();
      const [download] = await Promise.all([
        sender.waitForEvent('download'),
        sender.getByRole('button', { name: 'Download chain' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^doin-doin-e2e-app-\d+\.doin$/);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      await sender.getByLabel('Archive file (.doin)').setInputFiles(file);
      await expect(sender.getByTestId('import-confirm')).toBeVisible();
      await sender.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(sender.getByTestId('import-result')).toContainText(/Imported \d+ blocks/, {
        timeout: 60_000,
      });
    });

    test('settings are saved and apply after a reload', async () => {
      test.setTimeout(120_000);
      expect((await status(a)).work?.domainFixed).toBe(false);
      await go(a, '#/settings');
      await a.getByLabel('Domain to work on').selectOption('quadratic-16');
      await a.getByLabel(/^GPU share/).fill('50');
      // A bad relay address is refused in words.
      await a.getByLabel('Relay address').fill('not-a-multiaddr');
      await a.getByRole('button', { name: 'Save settings' }).click();
      await expect(a.getByTestId('settings-error')).toContainText('relay');
      await a.getByLabel('Relay address').fill('');
      await a.getByRole('button', { name: 'Save settings' }).click();
      await expect(a.getByTestId('settings-saved')).toContainText('Reload');
      await a.getByRole('button', { name: 'Reload to apply' }).click();
      await a.waitForFunction(() => typeof window.doin === 'object');
      await a.evaluate(() => window.doin.ready);
      await expect.poll(async () => (await status(a)).work?.domainFixed).toBe(true);
      expect((await status(a)).work?.domainId).toBe('quadratic-16');
      // The GPU-share slider starts at the saved value.
      await go(a, '#/');
      await expect(a.getByTestId('gpu-share')).toHaveValue('50');
    });

    test('a local-simulation page explains that it has no chain to browse', async ({ page }) => {
      await page.goto('/#/explorer');
      await page.evaluate(() => window.doin.ready);
      await expect(page.getByTestId('view-error')).toContainText('local simulation');
      await page.goto('/#/wallet');
      await expect(page.getByText('keeps no wallet')).toBeVisible();
    });
  });

/** The account id (hex key) a peer id names, decoded here independently of the app's code. */
async function accountOf(peerId: string): Promise<string> {
  const { peerIdFromString } = await import('@libp2p/peer-id');
  const key = peerIdFromString(peerId).publicKey;
  if (!key) throw new Error(`${peerId} embeds no public key`);
  return Buffer.from(key.raw).toString('hex');
}
