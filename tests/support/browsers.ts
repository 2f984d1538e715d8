/**
 * For end-to-end tests: each page in its own headless Chromium *process* (not a tab of one), on
 * the app at `url`, waited on until window.doin is ready — started by the swarm's launcher
 * (swarm/launch.mjs), the one way doin runs a node. NET_DEBUG=<libp2p debug pattern> turns on
 * libp2p's logging in the page and prints its console.
 */
import type { Browser, BrowserType, Page } from '@playwright/test';
import { launchNode } from '../../swarm/launch.mjs';

export async function openAppPage(
  chromiumType: BrowserType,
  browsers: Browser[],
  url: string,
  name: string,
): Promise<Page> {
  const debugPattern = process.env.NET_DEBUG;
  const node = await launchNode({
    chromium: chromiumType,
    url,
    name,
    log: (line) => console.log(line),
    ...(debugPattern ? { debugPattern, console: true } : {}),
  });
  if (node.browser) browsers.push(node.browser);
  return node.page;
}
