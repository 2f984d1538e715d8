// The initial-load budget (DESIGN.md): the JavaScript a visitor downloads before the app is up
// stays ≤ 300 KB gzipped. libp2p (loaded once a relay is found), the lazy views, uPlot and tfjs
// (in workers) come later and are not counted. Sizes are bytes, not timings: a plain test.
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

const BUDGET_GZIP_BYTES = 300 * 1024;

test('the app loads at most 300 KB of JavaScript (gzipped) before it is usable', async ({
  page,
}) => {
  const scripts = new Map<string, number>();
  page.on('response', async (response) => {
    const request = response.request();
    // Page scripts only: worker scripts (tfjs) are fetched by workers, not the page.
    if (request.resourceType() !== 'script' || request.frame() !== page.mainFrame()) return;
    const body = await response.body().catch(() => null);
    if (body) scripts.set(response.url(), gzipSync(body).length);
  });
  await page.goto('/');
  await page.waitForFunction(() => typeof window.doin === 'object');
  await page.evaluate(() => window.doin.ready);
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
  const total = [...scripts.values()].reduce((a, b) => a + b, 0);
  const listing = [...scripts].map(([url, size]) => `${new URL(url).pathname} ${size}`).join('\n');
  expect(scripts.size, listing).toBeGreaterThan(0);
  expect(total, `initial JS, gzipped:\n${listing}`).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  console.log(`initial JS: ${(total / 1024).toFixed(1)} KB gzipped in ${scripts.size} files`);
});
