/**
 * For end-to-end tests: each page in its own headless Chromium *process* (not a tab of one), on
 * the app at `url`, waited on until window.doin is ready. NET_DEBUG=<libp2p debug pattern>
 * turns on libp2p's logging in the page and prints its console.
 */
import type { Browser, BrowserType, Page } from '@playwright/test';
import chromium from '../../scripts/chromium.json' with { type: 'json' };

export async function openAppPage(
  chromiumType: BrowserType,
  browsers: Browser[],
  url: string,
  name: string,
): Promise<Page> {
  const browser = await chromiumType.launch({
    executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
    args: chromium.args,
  });
  browsers.push(browser);
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.log(`[${name} page error] ${err.message}`));
  if (process.env.NET_DEBUG) {
    await page.addInitScript((d) => localStorage.setItem('debug', d), process.env.NET_DEBUG);
    page.on('console', (msg) => console.log(`[${name}] ${msg.text()}`));
  }
  await page.goto(url);
  await page.waitForFunction(() => typeof window.doin === 'object');
  await page.evaluate(() => window.doin.ready);
  return page;
}
