import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import { expect, test } from '@playwright/test';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

test('the compute worker measures backends, picks the fastest and optimizes', async ({
  page,
  baseURL,
}) => {
  const wasmRequests: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).pathname.endsWith('.wasm')) wasmRequests.push(request.url());
  });
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));

  await page.goto('/bench.html');
  await page.waitForFunction(() => typeof window.doinBench === 'object');
  const result = await page.evaluate(() =>
    window.doinBench.run({
      domainId: 'quadratic-16',
      backend: 'auto',
      steps: 50,
      checkCancel: true,
    }),
  );
  console.log('chromium compute bench:', JSON.stringify(result));

  const { status } = result;
  expect(status.ready).toBe(true);
  expect(status.source).toBe('measured');
  const byName = Object.fromEntries(status.measurements.map((m) => [m.backend, m]));
  expect(Object.keys(byName).sort()).toEqual(['cpu', 'wasm', 'webgl', 'webgpu']);
  for (const name of ['wasm', 'cpu']) {
    const m = byName[name];
    expect(m?.available, `${name}: ${m?.error}`).toBe(true);
    expect(m?.msPerStep).toBeGreaterThan(0);
    expect(m?.matmulGflops).toBeGreaterThan(0);
  }

  // The chosen backend is the fastest measured one, by the basis the worker reports.
  const usable = status.measurements.filter((m) => m.available && !m.error);
  const fastest =
    status.basis === 'workload'
      ? usable.reduce((a, b) => ((b.msPerStep as number) < (a.msPerStep as number) ? b : a))
      : usable.reduce((a, b) => ((b.matmulGflops as number) > (a.matmulGflops as number) ? b : a));
  expect(status.backend).toBe(fastest.backend);
  // A software (fallback) WebGPU adapter must lose its measurement.
  if (byName.webgpu?.available && byName.webgpu.fallbackAdapter) {
    expect(status.backend).not.toBe('webgpu');
  }

  // The wasm binary came from the app itself, not from a CDN.
  expect(wasmRequests.length).toBeGreaterThan(0);
  const origin = new URL(baseURL as string).origin;
  for (const url of wasmRequests) expect(new URL(url).origin).toBe(origin);

  // The short optimize found a better candidate, confirmed by evaluation.
  expect(result.optimize.baseHash).toMatch(/^[0-9a-f]{64}$/);
  expect(result.optimize.paramsHash).not.toBe(result.optimize.baseHash);
  expect(result.evaluate.after).toBeLessThan(result.evaluate.before);
  expect(result.improved).toBe(true);
  expect(result.optimize.claimedMetric).toBeCloseTo(result.evaluate.after, 6);
  expect(result.optimize.progressEvents).toBeGreaterThan(0);
  // Cancelling across the worker boundary rejects with an AbortError and frees the worker.
  expect(result.cancel).toMatchObject({ errorName: 'AbortError', jobAfter: null });
  expect(consoleErrors).toEqual([]);
});

test('when the page is cross-origin isolated, wasm runs its threaded SIMD build', async ({
  page,
}) => {
  // scripts/serve.mjs sends no COOP/COEP headers: serve the same build with them here.
  const root = resolve('dist');
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = resolve(root, `.${path}`);
    if (!file.startsWith(root)) {
      res.writeHead(400).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const { port } = server.address() as AddressInfo;
    const wasmFiles: string[] = [];
    page.context().on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.endsWith('.wasm')) wasmFiles.push(pathname);
    });
    const workerErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') workerErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${port}/bench.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForFunction(() => typeof window.doinBench === 'object');
    const result = await page.evaluate(() =>
      window.doinBench.run({ domainId: 'quadratic-16', backend: 'wasm', steps: 20 }),
    );
    expect(result.status).toMatchObject({
      backend: 'wasm',
      source: 'override',
      crossOriginIsolated: true,
      wasm: { simd: true, multithread: true },
    });
    expect(wasmFiles.some((p) => /tfjs-backend-wasm-threaded-simd-.*\.wasm$/.test(p))).toBe(true);
    expect(result.improved).toBe(true);
    expect(workerErrors).toEqual([]);
  } finally {
    // Keep-alive connections from the page would otherwise hold close() open indefinitely.
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

test('evaluation agrees across the browser backends far within the vote tolerance', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto('/bench.html');
  await page.waitForFunction(() => typeof window.doinBench === 'object');
  for (const domainId of ['mackey-glass', 'boston-housing']) {
    const metrics: Record<string, number> = {};
    let tolerance = 0;
    for (const backend of ['wasm', 'webgl', 'webgpu', 'cpu']) {
      const result = await page.evaluate((options) => window.doinBench.run(options), {
        domainId,
        backend,
        steps: 1,
      });
      expect(result.status.backend).toBe(backend);
      metrics[backend] = result.evaluate.before;
      tolerance = result.status.domain?.tolerance ?? 0;
      // Deterministic on one backend: the same parameters and seed give the same number.
      const again = await page.evaluate((options) => window.doinBench.run(options), {
        domainId,
        backend,
        steps: 1,
      });
      expect(again.evaluate.before).toBe(result.evaluate.before);
    }
    const reference = metrics.wasm as number;
    for (const [backend, metric] of Object.entries(metrics)) {
      const relative = Math.abs(metric - reference) / Math.abs(reference);
      if (process.env.DOIN_REPORT) console.log(`${domainId} ${backend} vs wasm: ${relative}`);
      expect(relative, `${domainId} on ${backend}`).toBeLessThan(tolerance / 100);
    }
  }
});
