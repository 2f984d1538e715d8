// @ts-check
// One headless doin node: its own Chromium *process* (not a tab of a shared browser) on the app
// URL, waited on until window.doin is ready. The swarm (swarm/swarm.mjs), the e2e tests
// (tests/support/browsers.ts) and the benchmarks (bench/) all start their pages here, so there is
// one way to run a node. Plain Node loads this file as it is (no TypeScript), with the Chromium
// flags of scripts/chromium.json (DESIGN.md, machine facts); CHROMIUM_PATH overrides the binary.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium as defaultChromium } from 'playwright-core';

/** @typedef {import('playwright-core').Browser} Browser */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {import('playwright-core').BrowserType} BrowserType */
/** @typedef {import('playwright-core').Page} Page */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Chromium binary and flags every doin browser runs with.
 * @returns {{ executablePath: string, args: string[] }}
 */
export function chromiumFlags() {
  const flags = JSON.parse(readFileSync(resolve(repoRoot, 'scripts', 'chromium.json'), 'utf8'));
  return {
    executablePath: process.env.CHROMIUM_PATH || flags.executablePath,
    args: [...flags.args],
  };
}

/**
 * Playwright closes its browsers itself on SIGINT/SIGTERM/SIGHUP unless told not to; a caller
 * that stops its nodes in order (the swarm) passes `handleSignals: false`.
 * @param {boolean | undefined} handleSignals
 */
function signalOptions(handleSignals) {
  return handleSignals === false
    ? { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false }
    : {};
}

/**
 * A headless Chromium process with the doin flags (for pages that are not app nodes, such as the
 * benchmark page).
 * @param {{ chromium?: BrowserType, handleSignals?: boolean }} [options]
 * @returns {Promise<Browser>}
 */
export function launchBrowser(options = {}) {
  const { executablePath, args } = chromiumFlags();
  return (options.chromium ?? defaultChromium).launch({
    executablePath,
    args,
    headless: true,
    ...signalOptions(options.handleSignals),
  });
}

/**
 * @typedef {object} LaunchOptions
 * @property {string} url the app URL with its query (autostart, domain, backend, profile, …)
 * @property {string} [name] the node's name in log lines (default "node")
 * @property {BrowserType} [chromium] e.g. Playwright test's `playwright.chromium` (default:
 *   playwright-core's)
 * @property {string | null} [userDataDir] a persistent Chromium profile folder: the node's
 *   IndexedDB (identity and chain) and localStorage survive a restart. Without it the browser
 *   keeps nothing once closed.
 * @property {boolean} [handleSignals] let Playwright close the browser on SIGINT/SIGTERM/SIGHUP
 *   (its default, true)
 * @property {(line: string) => void} [log] where page errors (and with `console`, the page's
 *   console) go; default: nowhere
 * @property {boolean} [console] also pass the page's console messages to `log`
 * @property {string} [debugPattern] a libp2p debug pattern set in the page's localStorage before
 *   the app loads (e.g. "libp2p:*")
 * @property {number} [readyTimeoutMs] how long loading the page and window.doin may take
 *   (default 30 s, Playwright's)
 */

/**
 * @typedef {object} LaunchedNode
 * @property {string} name
 * @property {Page} page
 * @property {BrowserContext} context
 * @property {Browser | null} browser the browser, or null for a persistent profile (then the
 *   context owns the process)
 * @property {Promise<string>} gone settles with a reason once the node is gone: 'closed' after
 *   `close()`, else 'page crashed' or 'browser exited'
 * @property {() => Promise<void>} close closes the browser (and its process); safe to repeat
 */

/**
 * Starts one node: a Chromium process, the app page on `url`, then waits for window.doin and
 * window.doin.ready. On failure the browser is closed again and the error rethrown.
 * @param {LaunchOptions} options
 * @returns {Promise<LaunchedNode>}
 */
export async function launchNode(options) {
  const name = options.name ?? 'node';
  const type = options.chromium ?? defaultChromium;
  const { executablePath, args } = chromiumFlags();
  const launchOptions = {
    executablePath,
    args,
    headless: true,
    ...signalOptions(options.handleSignals),
  };
  /** @type {Browser | null} */
  let browser = null;
  /** @type {BrowserContext} */
  let context;
  if (options.userDataDir) {
    context = await type.launchPersistentContext(options.userDataDir, launchOptions);
  } else {
    browser = await type.launch(launchOptions);
    try {
      context = await browser.newContext();
    } catch (err) {
      await browser.close().catch(() => {});
      throw err;
    }
  }
  const owner = browser ?? context;
  let closing = false;
  /** @type {(reason: string) => void} */
  let settle = () => {};
  /** @type {Promise<string>} */
  const gone = new Promise((resolveGone) => {
    settle = resolveGone;
  });
  if (browser) browser.on('disconnected', () => settle(closing ? 'closed' : 'browser exited'));
  else context.on('close', () => settle(closing ? 'closed' : 'browser exited'));
  const close = async () => {
    closing = true;
    await owner.close().catch(() => {});
    settle('closed');
  };

  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('crash', () => settle('page crashed'));
    const log = options.log;
    if (log) {
      page.on('pageerror', (err) => log(`[${name} page error] ${err.message}`));
      if (options.console) page.on('console', (msg) => log(`[${name}] ${msg.text()}`));
    }
    if (options.debugPattern) {
      await page.addInitScript((d) => localStorage.setItem('debug', d), options.debugPattern);
    }
    const timeout = options.readyTimeoutMs;
    await page.goto(options.url, timeout === undefined ? {} : { timeout });
    await page.waitForFunction(
      () => typeof window.doin === 'object',
      undefined,
      timeout === undefined ? {} : { timeout },
    );
    await page.evaluate(() => window.doin.ready);
    return { name, page, context, browser, gone, close };
  } catch (err) {
    await close();
    throw err;
  }
}
