import { expect, test } from '@playwright/test';

test('page exposes window.doin and Start toggles contributing', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle('doin');

  await page.waitForFunction(() => typeof window.doin === 'object' && window.doin !== null);
  await page.evaluate(() => window.doin.ready);

  const status = await page.evaluate(() => window.doin.status());
  expect(typeof status.peerId).toBe('string');
  expect(status.peerId.length).toBeGreaterThan(0);
  expect(typeof status.head.height).toBe('number');
  expect(status.head.height).toBeGreaterThanOrEqual(0);
  expect(status.head.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(typeof status.peers).toBe('number');
  expect(Array.isArray(status.connections)).toBe(true);
  expect(typeof status.backend).toBe('string');
  expect(Array.isArray(status.domains)).toBe(true);
  expect(typeof status.balance).toBe('number');
  expect(status.contributing).toBe(false);

  await expect(page.getByTestId('peer-id')).toHaveText(status.peerId);
  const startButton = page.getByRole('button', { name: 'Start' });
  await expect(startButton).toBeVisible();

  await page.evaluate(() => window.doin.start());
  const after = await page.evaluate(() => window.doin.status());
  expect(after.contributing).toBe(true);
  expect(after.peerId).toBe(status.peerId);

  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);

  // And back through the UI itself.
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
  expect(await page.evaluate(() => window.doin.status().contributing)).toBe(false);
});

test('the local simulation makes blocks with the real protocol while contributing', async ({
  page,
}) => {
  await page.goto('/');
  await page.evaluate(() => window.doin.ready);
  const before = await page.evaluate(() => window.doin.status());
  expect(before.mode).toBe('local-simulation');
  expect(before.peerId).toMatch(/^[0-9a-f]{64}$/);
  expect(before.head.height).toBe(0);
  const initialBest = before.domains[0]?.best as number;

  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForFunction(() => window.doin.status().head.height >= 2, undefined, {
    timeout: 45_000,
  });
  const after = await page.evaluate(() => window.doin.status());
  expect(after.error).toBeUndefined();
  expect(after.head.hash).not.toBe(before.head.hash);
  expect(after.balance).toBeGreaterThan(0);
  expect(after.domains[0]?.best).toBeLessThan(initialBest);
  await expect(page.getByTestId('head-height')).not.toHaveText('0');

  // Inference runs on the current best parameters.
  const distance = await page.evaluate(() => window.doin.infer('quadratic-16', Array(16).fill(0)));
  expect(typeof distance).toBe('number');
});

test('contributing trains a tfjs domain in workers and verifies candidates in a second worker', async ({
  page,
}) => {
  await page.goto('/?domain=mackey-glass');
  await page.evaluate(() => window.doin.ready);
  expect(await page.evaluate(() => window.doin.status().training)).toBeNull();
  await page.evaluate(() => window.doin.start());
  await page.waitForFunction(() => (window.doin.status().training?.verified ?? 0) >= 1, undefined, {
    timeout: 90_000,
  });
  const status = await page.evaluate(() => window.doin.status());
  const training = status.training;
  if (!training) throw new Error('no training status');
  expect(status.error).toBeUndefined();
  expect(training.domainId).toBe('mackey-glass');
  // The backend is the fastest measured one, and it is what status() reports.
  const measured = training.measurements.filter((m) => m.available && m.msPerStep !== null);
  expect(measured.length).toBeGreaterThanOrEqual(2);
  const fastest = [...measured].sort((a, b) => (a.msPerStep ?? 0) - (b.msPerStep ?? 0))[0];
  expect(training.backend).toBe(fastest?.backend);
  expect(status.backend).toBe(training.backend);
  expect(training.best).toBeLessThan(0.9488938);
  await expect(page.getByTestId('training-counts')).not.toHaveText(/^0 \//);

  // Inference answers from the verified best parameters, in a worker.
  const forecast = await page.evaluate(() =>
    window.doin.infer('mackey-glass', {
      window: Array.from({ length: 16 }, (_, i) => 0.9 + i / 100),
    }),
  );
  expect(typeof (forecast as { next: number }).next).toBe('number');

  await page.evaluate(() => window.doin.stop());
  expect(await page.evaluate(() => window.doin.status().training?.phase)).toBe('stopped');
});

test('a bad ?backend= is reported in words and ignored', async ({ page }) => {
  await page.goto('/?backend=quantum');
  await page.evaluate(() => window.doin.ready);
  const status = await page.evaluate(() => window.doin.status());
  expect(status.error).toMatch(/\?backend=quantum ignored: invalid backend "quantum"/);
  await expect(page.getByRole('alert')).toContainText('backend');
});

test('a CSV dropped into the page trains the model locally; a bad one is refused in words', async ({
  page,
}) => {
  const requests: string[] = [];
  page.on('request', (request) => {
    if (request.method() !== 'GET') requests.push(`${request.method()} ${request.url()}`);
  });
  await page.goto('/?domain=boston-housing');
  await page.evaluate(() => window.doin.ready);
  const input = page.getByLabel(/Train on your own data/);

  await input.setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('a,b\n1,2\n'),
  });
  // The first file starts the training workers, which measure the backends first.
  await expect(page.getByRole('alert')).toContainText('bad.csv: boston-housing needs the columns', {
    timeout: 60_000,
  });

  const header = 'crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat,medv';
  const rows = Array.from({ length: 40 }, (_, i) =>
    [0.02 + i / 1000, 0, 7, 0, 0.47, 6 + i / 40, 70, 4.9, 2, 242, 17.8, 396.9, 9, 20 + i / 4].join(
      ',',
    ),
  );
  await input.setInputFiles({
    name: 'mine.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from([header, ...rows].join('\n')),
  });
  await expect(page.getByTestId('training-data')).toContainText('your file: 40 rows');

  await page.evaluate(() => window.doin.start({ dutyCycle: 0.5 }));
  await page.waitForFunction(() => (window.doin.status().training?.proposed ?? 0) >= 1, undefined, {
    timeout: 90_000,
  });
  // Nothing but page loads went over the network: the file stayed in the browser.
  expect(requests).toEqual([]);
  await page.evaluate(() => window.doin.stop());
});
