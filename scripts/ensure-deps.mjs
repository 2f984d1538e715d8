#!/usr/bin/env node
// Installs dependencies only when needed: node_modules missing or older than package-lock.json,
// or a declared dependency absent. Dependency-free so it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lockfile = join(root, 'package-lock.json');
const hiddenLockfile = join(root, 'node_modules', '.package-lock.json');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function reasonToInstall() {
  const hidden = mtime(hiddenLockfile);
  if (hidden === null) return 'node_modules is missing or incomplete';
  const lock = mtime(lockfile);
  if (lock !== null && lock > hidden) return 'package-lock.json is newer than node_modules';
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  const missing = names.filter(
    (name) => !existsSync(join(root, 'node_modules', name, 'package.json')),
  );
  if (missing.length > 0) return `missing from node_modules: ${missing.join(', ')}`;
  return null;
}

function npm(args) {
  console.error(`ensure-deps: npm ${args.join(' ')}`);
  const result = spawnSync('npm', args, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.error) console.error(`ensure-deps: ${result.error.message}`);
  return result.status === 0;
}

const reason = reasonToInstall();
if (reason !== null) {
  console.error(`ensure-deps: ${reason}; installing.`);
  // `npm install` rather than `npm ci`: it still honours the lock's versions, and npm 11 omits
  // other platforms' optional binaries (Biome's) from the lock, which makes `npm ci` refuse it.
  const ok = npm(['install', '--no-audit', '--no-fund']);
  if (!ok) {
    console.error('ensure-deps: installing dependencies failed.');
    process.exit(1);
  }
}
