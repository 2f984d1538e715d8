#!/usr/bin/env node
// Makes sure a system Chromium is available for the browser tests. Never downloads a browser
// through Playwright; installs Debian's `chromium` package when running as root.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const DEFAULT_PATH = '/usr/bin/chromium';
const path = process.env.CHROMIUM_PATH || DEFAULT_PATH;

if (existsSync(path)) process.exit(0);

if (process.env.CHROMIUM_PATH) {
  console.error(`ensure-chromium: CHROMIUM_PATH=${path} does not exist.`);
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`ensure-chromium: ${DEFAULT_PATH} not found.`);
  console.error("Install Debian's chromium (sudo apt-get install -y chromium), or set");
  console.error('CHROMIUM_PATH to a Chromium/Chrome executable, then run again.');
  process.exit(1);
}

function aptGet(args) {
  console.error(`ensure-chromium: apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) console.error(`ensure-chromium: ${result.error.message}`);
  return result.status === 0;
}

const install = ['install', '-y', 'chromium'];
const ok = aptGet(install) || (aptGet(['update']) && aptGet(install));
if (!ok || !existsSync(DEFAULT_PATH)) {
  console.error(`ensure-chromium: could not install chromium (${DEFAULT_PATH} still missing).`);
  process.exit(1);
}
