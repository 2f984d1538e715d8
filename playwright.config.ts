import { defineConfig } from '@playwright/test';
// One list of Chromium flags for tests, the benchmark and headless nodes (see DESIGN.md).
import chromium from './scripts/chromium.json' with { type: 'json' };

const PORT = 4173;
const baseURL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  // One retry on CI, reported as "flaky" rather than hidden: WebRTC dials and SwiftShader can stall
  // on a loaded 2-core box. Locally a failure fails at once.
  retries: process.env.CI ? 1 : 0,
  reporter: 'list',
  use: {
    baseURL,
    headless: true,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
          args: chromium.args,
        },
      },
    },
  ],
  webServer: {
    command: `node scripts/serve.mjs --port ${PORT}`,
    url: baseURL,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    timeout: 30_000,
  },
});
