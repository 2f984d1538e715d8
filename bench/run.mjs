#!/usr/bin/env node
// `npm run bench`: measures the compute path in headless Chromium and prints one JSON document.
// Per domain: every backend's measured speed (matmul GFLOP/s, ms per optimize step), the backend
// chosen by measurement, optimize and evaluate throughput, the cost of one evaluation relative to
// the optimize run that produced the candidate (budget ≤ 5%), and the longest main-thread task
// while the workers ran. Figures are ratios within one run where possible: this box is noisy.
// Then the network: an N-page swarm on the real relay (bench/network.mjs).
// Then the participant: 1, 2 and 4 peers training mackey-glass to a target (bench/participant.mjs).
// Usage: npm run bench [-- --only compute|network|participant --domains a,b --steps N
//                          --backend name --peers 8 --gossip-blocks 30 --sync-length 1000
//                          --participant-peers 1,2,4 --target 0.01 --participant-steps 500
//                          --participant-timeout 180]
// First: Node 20 lacks Promise.withResolvers, which libp2p (the relay) needs.
import '../relay/polyfills.js';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../swarm/launch.mjs';
import { runNetworkBench } from './network.mjs';
import { runParticipantBench } from './participant.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    domains: { type: 'string', default: 'quadratic-16,mackey-glass,boston-housing' },
    steps: { type: 'string', default: '4000' },
    backend: { type: 'string', default: 'auto' },
    only: { type: 'string' },
    peers: { type: 'string', default: '8' },
    'gossip-blocks': { type: 'string', default: '30' },
    'sync-length': { type: 'string', default: '1000' },
    'participant-peers': { type: 'string', default: '1,2,4' },
    target: { type: 'string', default: '0.01' },
    'participant-steps': { type: 'string', default: '500' },
    'participant-timeout': { type: 'string', default: '180' },
    'block-time': { type: 'string', default: '5000' },
  },
});
const runCompute = values.only === undefined || values.only === 'compute';
const runNetwork = values.only === undefined || values.only === 'network';
const runParticipant = values.only === undefined || values.only === 'participant';
if (values.only !== undefined && !runCompute && !runNetwork && !runParticipant) {
  throw new Error('--only takes compute, network or participant');
}
const positive = (/** @type {string} */ name) => {
  const n = Number(values[/** @type {'peers'} */ (name)]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const networkOptions = {
  peers: Math.max(2, positive('peers')),
  gossipBlocks: positive('gossip-blocks'),
  syncLength: positive('sync-length'),
};
const participantOptions = {
  peerCounts: values['participant-peers'].split(',').map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1) throw new Error('--participant-peers: positive integers');
    return n;
  }),
  target: Number(values.target),
  steps: positive('participant-steps'),
  timeoutMs: positive('participant-timeout') * 1000,
  // A single peer cannot verify its own work: watch it for a minute at most.
  soloTimeoutMs: 60_000,
  targetBlockTimeMs: positive('block-time'),
};
if (!(participantOptions.target > 0)) throw new Error('--target must be a positive MSE');
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer`);
const VERIFICATION_BUDGET = 0.05;
/** Evaluators per optimae (the default quorum size): verification cost is paid this many times. */
const QUORUM_SIZE = 3;

function startServer() {
  const server = spawn(process.execPath, ['scripts/serve.mjs', '--port', '0'], { cwd: root });
  return new Promise((resolveUrl, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/running at (http:\/\/[^\s]+)/);
      if (match) resolveUrl({ url: match[1], stop: () => server.kill() });
    });
    server.stderr.on('data', (chunk) => process.stderr.write(chunk));
    server.on('exit', (code) => reject(new Error(`the static server exited (${code})`)));
  });
}

const server = await startServer();
// The same Chromium and flags as the browser tests and the swarm (swarm/launch.mjs).
const browser = await launchBrowser();

const results = [];
try {
  for (const domainId of runCompute ? values.domains.split(',') : []) {
    const page = await browser.newPage();
    await page.goto(new URL('/bench.html', server.url).href);
    const run = await page.evaluate((options) => window.doinBench.run(options), {
      domainId,
      steps,
      backend: values.backend,
    });
    await page.close();
    const { status, optimize, evaluate } = run;
    const verificationRatio = evaluate.ms / optimize.ms;
    results.push({
      domain: domainId,
      chosenBackend: status.backend,
      choiceSource: status.source,
      choiceBasis: status.basis,
      backends: status.measurements.map((m) => ({
        backend: m.backend,
        available: m.available,
        matmulGflops: m.matmulGflops,
        msPerOptimizeStep: m.msPerStep,
        truncated: m.truncated ?? false,
        fallbackAdapter: m.fallbackAdapter ?? null,
        adapter: m.adapter ?? null,
        error: m.error ?? null,
      })),
      optimize: {
        steps: optimize.steps,
        ms: round(optimize.ms),
        stepsPerSecond: round((optimize.steps / optimize.ms) * 1000),
      },
      evaluate: { ms: round(evaluate.ms), perSecond: round(1000 / evaluate.ms) },
      metric: { before: evaluate.before, after: evaluate.after, improved: run.improved },
      // One evaluator's cost per candidate, relative to the optimize run that produced it, and
      // the whole quorum's.
      evaluateToOptimizeCost: round(verificationRatio, 4),
      quorumVerificationCost: round(verificationRatio * QUORUM_SIZE, 4),
      withinVerificationBudget: verificationRatio * QUORUM_SIZE <= VERIFICATION_BUDGET,
      longestMainThreadTaskMs: run.longestTaskMs,
    });
  }
} finally {
  await browser.close();
  server.stop();
}

const network = runNetwork ? await runNetworkBench(networkOptions) : null;
const participant = runParticipant
  ? await runParticipantBench({ root, ...participantOptions })
  : null;

const wasmChosenOverSoftwareWebgpu = results.every((r) => {
  const webgpu = r.backends.find((b) => b.backend === 'webgpu');
  return !(webgpu?.fallbackAdapter && r.chosenBackend === 'webgpu');
});
console.log(
  JSON.stringify(
    {
      benchmark: 'doin compute and network',
      date: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, platform: process.platform },
      browser: `chromium ${browser.version()}`,
      stepsPerCandidate: steps,
      verificationBudget: VERIFICATION_BUDGET,
      quorumSize: QUORUM_SIZE,
      softwareWebgpuNeverChosen: wasmChosenOverSoftwareWebgpu,
      domains: results,
      network,
      participant,
    },
    null,
    2,
  ),
);

function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
