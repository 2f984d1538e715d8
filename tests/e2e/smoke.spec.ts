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
