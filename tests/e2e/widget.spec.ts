// Issue 7 end to end: the widget (/widget.html, served by the real relay) in iframes on two other
// origins. The trusted host (listed in ?hosts=) calls the window.doin API over postMessage, the
// user allows GPU use in the widget's prompt, and status events come back; a hostile page on a
// third origin that embeds the same widget URL gets no reply and cannot start it.
import '../../relay/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, expect, type Frame, type Page, test } from '@playwright/test';
import { type Relay, startFastRelay } from '../support/testnet';

/** What the host page (below) keeps on its window. */
type HostWindow = Window & { received: unknown[]; call(data: unknown): void };
interface Message {
  type: string;
  id?: unknown;
  result?: unknown;
  error?: string;
  event?: string;
  data?: unknown;
}

let relay: Relay | null = null;
let dir: string;
const servers: Server[] = [];
const contexts: BrowserContext[] = [];

/** A page on its own origin that embeds the widget and records every message it receives. */
function hostPage(widgetUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>widget host</title></head>
<body>
<h1>A site that embeds doin</h1>
<iframe id="w" title="doin widget" src="${widgetUrl.replaceAll('&', '&amp;')}" width="320" height="240"></iframe>
<script>
  const frame = document.getElementById('w');
  const widgetOrigin = new URL(frame.src).origin;
  window.received = [];
  window.addEventListener('message', (event) => window.received.push(event.data));
  window.call = (data) => frame.contentWindow.postMessage(data, widgetOrigin);
</script>
</body></html>`;
}

/** A plain HTTP server on a loopback port; `page(search)` makes its HTML. */
async function serve(page: (search: string) => string): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page(url.search));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function widgetFrame(page: Page): Promise<Frame> {
  const url = /\/widget\.html/;
  await expect.poll(() => page.frame({ url }) !== null, { timeout: 60_000 }).toBe(true);
  const frame = page.frame({ url });
  if (!frame) throw new Error('no widget frame');
  await frame.waitForFunction(() => typeof window.doin === 'object', undefined, {
    timeout: 60_000,
  });
  await frame.evaluate(() => window.doin.ready);
  return frame;
}

const received = (page: Page) =>
  page.evaluate(() => (window as unknown as HostWindow).received as Message[]);
const call = (page: Page, data: unknown) =>
  page.evaluate((d) => (window as unknown as HostWindow).call(d), data);
/** The reply to call `id`, once it came. */
async function resultOf(page: Page, id: string): Promise<Message> {
  let reply: Message | undefined;
  await expect
    .poll(
      async () => {
        reply = (await received(page)).find((m) => m.type === 'doin:result' && m.id === id);
        return reply !== undefined;
      },
      { timeout: 120_000, intervals: [500] },
    )
    .toBe(true);
  return reply as Message;
}
const contributing = (frame: Frame) => frame.evaluate(() => window.doin.status().contributing);
const stats = (frame: Frame) =>
  frame.evaluate(() => window.doinWidget?.stats() ?? { received: 0, ignored: 0, answered: 0 });

let hostOrigin = '';
let hostileOrigin = '';
/** The widget's URL with the page parameters the test net needs. */
let widgetBase = '';

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doin-widget-'));
  relay = await startFastRelay(dir, 'doin-e2e-widget');
  widgetBase = `${relay.appUrl}widget.html?domain=quadratic-16&backend=wasm&steps=4`;
  // Two more origins: the host and a hostile page. Both embed the widget with ?hosts= naming the
  // host (`/?autostart=1` adds autostart; `/?consent=1` leaves hosts= out).
  const page = (search: string) => {
    const query = new URLSearchParams(search);
    let url = `${widgetBase}&profile=w1`;
    if (query.get('consent') !== '1') url += `&hosts=${encodeURIComponent(hostOrigin)}`;
    if (query.get('autostart') === '1') url += '&autostart=1';
    return hostPage(url);
  };
  hostOrigin = await serve(page);
  hostileOrigin = await serve(page);
  expect(new Set([hostOrigin, hostileOrigin, new URL(relay.appUrl).origin]).size).toBe(3);
});
test.afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await relay?.stop();
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the widget obeys its trusted host after consent and ignores other origins', async ({
  browser,
}) => {
  test.setTimeout(300_000);

  // ---- the trusted host: ready event, then status over postMessage.
  const hostContext = await browser.newContext();
  contexts.push(hostContext);
  const host = await hostContext.newPage();
  host.on('pageerror', (err) => console.log(`[host page error] ${err.message}`));
  await host.goto(`${hostOrigin}/`);
  const frame = await widgetFrame(host);
  await expect
    .poll(async () => (await received(host)).some((m) => m.event === 'ready'), { timeout: 60_000 })
    .toBe(true);
  await call(host, { type: 'doin:call', id: 's1', method: 'status', args: [] });
  const status = await resultOf(host, 's1');
  expect(status.error).toBeUndefined();
  const peerId = (status.result as { peerId: string }).peerId;
  expect(typeof peerId).toBe('string');
  expect(peerId.length).toBeGreaterThan(0);
  expect(peerId).toBe(await frame.evaluate(() => window.doin.status().peerId));
  expect((status.result as { contributing: boolean }).contributing).toBe(false);
  await expect(host.frameLocator('#w').getByTestId('widget-contributing')).toHaveText('no');

  // ---- malformed calls from the trusted origin: an error where there is an id, else nothing.
  const ignoredBefore = (await stats(frame)).ignored;
  await call(host, { type: 'doin:call', id: 'bad-method', method: 'exportArchive', args: [] });
  await call(host, { type: 'doin:call', id: 'bad-args', method: 'start', args: 'now' });
  await call(host, { type: 'doin:call', id: 'x'.repeat(100), method: 'start', args: [] });
  await call(host, 'start');
  expect((await resultOf(host, 'bad-method')).error).toMatch(/method must be one of/);
  expect((await resultOf(host, 'bad-args')).error).toMatch(/invalid call/);
  await expect.poll(async () => (await stats(frame)).ignored).toBe(ignoredBefore + 2);
  await expect(host.frameLocator('#w').getByRole('dialog')).toHaveCount(0);
  expect(await contributing(frame)).toBe(false);

  // ---- a hostile page on a third origin embeds the same widget URL: no replies, no effect.
  const hostileContext = await browser.newContext();
  contexts.push(hostileContext);
  const hostile = await hostileContext.newPage();
  await hostile.goto(`${hostileOrigin}/`);
  const hostileFrame = await widgetFrame(hostile);
  for (const [id, method] of [
    ['h1', 'start'],
    ['h2', 'status'],
    ['h3', 'stop'],
  ]) {
    await call(hostile, { type: 'doin:call', id, method, args: [] });
  }
  await call(hostile, { type: 'doin:call', id: 'h4', method: 'nope', args: [] });
  await expect
    .poll(async () => (await stats(hostileFrame)).ignored, { timeout: 30_000 })
    .toBeGreaterThanOrEqual(4);
  expect((await stats(hostileFrame)).answered).toBe(0);
  expect(await received(hostile)).toEqual([]); // not even events
  await expect(hostile.frameLocator('#w').getByRole('dialog')).toHaveCount(0);
  expect(await contributing(hostileFrame)).toBe(false);
  // Its own Start button asks, naming the real embedder; Decline changes nothing.
  const hostileWidget = hostile.frameLocator('#w');
  await hostileWidget.getByRole('button', { name: 'Start' }).click();
  await expect(hostileWidget.getByRole('dialog')).toContainText(
    `${hostileOrigin} asks to use this device's GPU to train doin models. Allow?`,
  );
  await hostileWidget.getByRole('button', { name: 'Decline' }).click();
  await expect(hostileWidget.getByRole('dialog')).toHaveCount(0);
  expect(await contributing(hostileFrame)).toBe(false);
  expect(await received(hostile)).toEqual([]);
  await hostileContext.close();

  // ---- the host asks to start: the user sees the prompt naming the host and allows it.
  const widget = host.frameLocator('#w');
  await call(host, { type: 'doin:call', id: 'go', method: 'start', args: [] });
  await expect(widget.getByRole('dialog')).toContainText(
    `${hostOrigin} asks to use this device's GPU to train doin models. Allow?`,
    { timeout: 60_000 },
  );
  expect(await contributing(frame)).toBe(false); // nothing before the answer
  await widget.getByRole('button', { name: 'Allow' }).click();
  const started = await resultOf(host, 'go');
  expect(started).toEqual({ type: 'doin:result', id: 'go', result: null });
  expect(await contributing(frame)).toBe(true);
  await expect
    .poll(
      async () =>
        (await received(host)).some(
          (m) =>
            m.type === 'doin:event' &&
            m.event === 'status' &&
            (m.data as { contributing?: boolean }).contributing === true,
        ),
      { timeout: 30_000 },
    )
    .toBe(true);
  await expect(widget.getByTestId('widget-contributing')).toHaveText('yes');
  // Node events are forwarded as they happen (a candidate committed, a peer, a block…).
  await expect
    .poll(
      async () =>
        (await received(host)).some(
          (m) =>
            m.type === 'doin:event' &&
            m.event !== 'status' &&
            m.event !== 'ready' &&
            (m.data as { type?: string }).type === m.event,
        ),
      { timeout: 120_000, intervals: [1_000] },
    )
    .toBe(true);

  // ---- stop, and a second start needs no prompt (consent is remembered for this origin).
  await call(host, { type: 'doin:call', id: 'halt', method: 'stop', args: [] });
  expect((await resultOf(host, 'halt')).error).toBeUndefined();
  expect(await contributing(frame)).toBe(false);
  await call(host, { type: 'doin:call', id: 'go2', method: 'start', args: [{ dutyCycle: 0.5 }] });
  expect((await resultOf(host, 'go2')).error).toBeUndefined();
  expect(await contributing(frame)).toBe(true);
  await expect(widget.getByRole('dialog')).toHaveCount(0);

  // ---- with ?autostart=1 the widget starts by itself on the next visit, since consent was given.
  await host.goto(`${hostOrigin}/?autostart=1`);
  const again = await widgetFrame(host);
  await expect.poll(() => contributing(again), { timeout: 60_000, intervals: [500] }).toBe(true);
  await expect(host.frameLocator('#w').getByRole('dialog')).toHaveCount(0);
  expect(await again.evaluate(() => window.doin.status().peerId)).toBe(peerId);
});

test('without hosts= the widget trusts its parent only once the user allows it', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const context = await browser.newContext(); // fresh storage: no consent given yet
  contexts.push(context);
  const host = await context.newPage();
  await host.goto(`${hostOrigin}/?consent=1`);
  const frame = await widgetFrame(host);
  const widget = host.frameLocator('#w');
  await expect(widget.getByText(`For ${hostOrigin}`)).toBeVisible();

  // Before consent: an error in words, no events, no effect.
  await call(host, { type: 'doin:call', id: 'early', method: 'status', args: [] });
  expect((await resultOf(host, 'early')).error).toMatch(/not allowed yet/);
  expect((await received(host)).filter((m) => m.type === 'doin:event')).toEqual([]);

  // start asks the user, naming the parent's origin as the browser reports it.
  await call(host, { type: 'doin:call', id: 'no', method: 'start', args: [] });
  await expect(widget.getByRole('dialog')).toContainText(`${hostOrigin} asks to use`);
  await widget.getByRole('button', { name: 'Decline' }).click();
  expect(await resultOf(host, 'no')).toEqual({
    type: 'doin:result',
    id: 'no',
    error: 'the user declined',
  });
  expect(await contributing(frame)).toBe(false);
  expect((await received(host)).filter((m) => m.type === 'doin:event')).toEqual([]);

  await call(host, { type: 'doin:call', id: 'yes', method: 'start', args: [] });
  await widget.getByRole('button', { name: 'Allow' }).click();
  expect((await resultOf(host, 'yes')).result).toBeNull();
  expect(await contributing(frame)).toBe(true);
  // Now trusted: events flow and calls are answered.
  await expect
    .poll(async () => (await received(host)).some((m) => m.event === 'ready'), { timeout: 30_000 })
    .toBe(true);
  await call(host, { type: 'doin:call', id: 'later', method: 'status', args: [] });
  expect((await resultOf(host, 'later')).result).toMatchObject({ contributing: true });
});
