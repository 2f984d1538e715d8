// @ts-check
// Headless doin nodes from one command (issue 8): `npm run swarm -- --peers N …`, `doin swarm …`.
// Starts N separate headless Chromium processes on the app with autostart, against a relay of
// its own (which also serves the app) or a given one, and prints JSON lines on stdout: one per
// node per interval, then a summary. Human-readable notes (page errors) go to stderr.
//
// Line kinds (field `event`): start, ready, status, restart, failed, error, stopping, summary.
// Every line has `t`, seconds since the swarm started.
// Exit status: 0 when every node was up at the end and all agreed on the head; 1 otherwise;
// 2 for a usage error.
// Callers must load relay/polyfills.js first on Node 20 (swarm/main.mjs and bin/doin.mjs do).
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { multiaddr } from '@multiformats/multiaddr';
import { chromiumFlags, launchNode, repoRoot } from './launch.mjs';

/** @typedef {import('../src/node/api').NodeStatus} NodeStatus */

export const USAGE = `Usage: npm run swarm -- [options]      (or: doin swarm [options])

Starts N headless Chromium nodes that contribute to a doin network and prints one JSON line
per node per interval, then a summary line. Ctrl-C stops them cleanly.

  --peers N            nodes to run (default 1)
  --relay MULTIADDR    join this relay (/ip4|dns4/…/tcp/…/ws|wss/p2p/…); default: start a local
                       relay that also serves the app (needs the built app: npm run build)
  --app URL            the app the pages open (default with --relay: https://HOST[:PORT]/ for a
                       /wss address, else http://HOST:8080/, the relay's own HTTP port)
  --network FILE       network parameters for the local relay (default networks/local-testnet.json)
  --port N, --http-port N
                       the local relay's WebSocket and HTTP ports (default: free ones; with
                       --profile-dir, the ones used last time)
  --domain ID          domain to train (default: each node picks by expected reward)
  --backend NAME       compute backend: auto, webgpu, webgl, wasm or cpu (default auto: measured)
  --steps N            optimize steps per candidate (default: the page's, 4000)
  --ice URLS           STUN/TURN servers for WebRTC, comma-separated (needed across NATs)
  --profile-dir DIR    keep each node's browser profile (identity, chain) in DIR/node-<i>
                       (default: a temporary folder removed at exit)
  --duration S         stop after S seconds of contributing, counted once all nodes are up
                       (default: until Ctrl-C)
  --interval S         seconds between status lines (default 10)
  --grace S            when stopping, seconds to wait for the heads to agree (default 30)
  --debug              open the pages with debug=1 (window.doinDebug)
  --verbose            also print the pages' console on stderr
  -h, --help           this text`;

/**
 * @typedef {object} SwarmOptions
 * @property {number} peers
 * @property {string | null} relay
 * @property {string | null} app
 * @property {string | null} network
 * @property {number | null} port the local relay's WebSocket port (default: a free one)
 * @property {number | null} httpPort the local relay's HTTP port (default: a free one)
 * @property {string | null} domain
 * @property {string | null} backend
 * @property {number | null} steps
 * @property {string | null} ice
 * @property {string | null} profileDir
 * @property {number | null} duration seconds
 * @property {number} interval seconds
 * @property {number} grace seconds
 * @property {boolean} debug
 * @property {boolean} verbose
 */

/**
 * @typedef {object} StatusLine one node's state, as printed every interval
 * @property {'status'} event
 * @property {number} t
 * @property {string} node
 * @property {boolean} up false while the node is being restarted or after it failed
 * @property {string} [peerId]
 * @property {number} [peers] peers this node is connected to
 * @property {Record<string, number>} [transports] distinct peers per transport (webrtc,
 *   websockets = the relay, circuit)
 * @property {number} [height]
 * @property {string} [hash]
 * @property {string} [backend]
 * @property {Record<string, number | null>} [best] best verified metric per domain
 * @property {number} [verified] this node's optimae accepted on the main chain
 * @property {number} [votes] votes it cast
 * @property {number} [blocksMade]
 * @property {number} [balance] in base units (1 DOIN = 100,000,000)
 * @property {boolean} [contributing]
 * @property {string} [mode] 'network' (or 'local-simulation' when it found no relay)
 * @property {string | null} [relay] the page's relay connection: connected, connecting, waiting
 * @property {string | null} [error] the page's status().error (the last thing that went wrong,
 *   in words: it may have recovered since), or why the node is down
 */

/**
 * @typedef {object} SummaryNode
 * @property {string} node
 * @property {boolean} up
 * @property {string | null} peerId
 * @property {number | null} height
 * @property {string | null} hash
 * @property {number} balance
 * @property {number} verified
 * @property {number} votes
 * @property {number} blocksMade
 * @property {number} restarts
 */

/**
 * @typedef {object} SummaryLine
 * @property {'summary'} event
 * @property {number} t
 * @property {'duration' | 'signal' | 'failure'} reason why the swarm stopped
 * @property {boolean} agreed every node up and on the same head
 * @property {{ height: number, hash: string } | null} head the agreed head
 * @property {number} restarts
 * @property {SummaryNode[]} nodes
 */

/**
 * Parses the swarm's command line.
 * @param {string[]} argv
 * @returns {{ help: true } | { help: false, options: SwarmOptions } | { help: false, error: string }}
 */
export function parseSwarmArgs(argv) {
  /** @type {Record<string, string | boolean | undefined>} */
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        peers: { type: 'string' },
        relay: { type: 'string' },
        app: { type: 'string' },
        network: { type: 'string' },
        port: { type: 'string' },
        'http-port': { type: 'string' },
        domain: { type: 'string' },
        backend: { type: 'string' },
        steps: { type: 'string' },
        ice: { type: 'string' },
        'profile-dir': { type: 'string' },
        duration: { type: 'string' },
        interval: { type: 'string' },
        grace: { type: 'string' },
        debug: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return { help: false, error: errorMessage(err) };
  }
  if (values.help) return { help: true };
  const str = (/** @type {string} */ key) => {
    const v = values[key];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  /** @type {string[]} */
  const errors = [];
  /**
   * @param {string} key
   * @param {{ integer?: boolean, min: number, max: number }} range
   */
  const num = (key, range) => {
    const text = str(key);
    if (text === null) return null;
    const n = Number(text);
    const ok = Number.isFinite(n) && (!range.integer || Number.isInteger(n));
    if (!ok || n < range.min || n > range.max) {
      errors.push(
        `--${key} ${text}: expected ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}`,
      );
      return null;
    }
    return n;
  };
  const peers = num('peers', { integer: true, min: 1, max: 64 }) ?? 1;
  const steps = num('steps', { integer: true, min: 1, max: 100_000 });
  const duration = num('duration', { min: 1, max: 1e7 });
  const interval = num('interval', { min: 0.5, max: 86_400 }) ?? 10;
  const grace = num('grace', { min: 0, max: 3_600 }) ?? 30;
  const port = num('port', { integer: true, min: 0, max: 65_535 });
  const httpPort = num('http-port', { integer: true, min: 0, max: 65_535 });
  const relay = str('relay');
  if (relay !== null && (port !== null || httpPort !== null)) {
    errors.push('--port and --http-port apply to the local relay only');
  }
  if (relay !== null) {
    const problem = relayProblem(relay);
    if (problem) errors.push(`--relay ${relay}: ${problem}`);
  }
  if (relay !== null && str('network') !== null) {
    errors.push('--network applies to the local relay only; a remote relay names its own network');
  }
  let app = str('app');
  if (app !== null) {
    try {
      const url = new URL(app);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      app = url.href;
    } catch {
      errors.push(`--app ${app}: expected an http:// or https:// URL`);
    }
  }
  if (app !== null && relay === null) {
    errors.push('--app needs --relay (without it the swarm serves the app itself)');
  }
  const domain = str('domain');
  if (domain !== null && !/^[a-z0-9][a-z0-9-]{0,47}$/.test(domain)) {
    errors.push(`--domain ${domain}: expected a domain id such as mackey-glass`);
  }
  const backend = str('backend');
  if (backend !== null && !['auto', 'webgpu', 'webgl', 'wasm', 'cpu'].includes(backend)) {
    errors.push(`--backend ${backend}: expected auto, webgpu, webgl, wasm or cpu`);
  }
  if (errors.length > 0) return { help: false, error: errors.join('\n') };
  const network = str('network');
  const profileDir = str('profile-dir');
  return {
    help: false,
    options: {
      peers,
      relay,
      app,
      network: network === null ? null : resolve(network),
      port,
      httpPort,
      domain,
      backend,
      steps,
      ice: str('ice'),
      profileDir: profileDir === null ? null : resolve(profileDir),
      duration,
      interval,
      grace,
      debug: values.debug === true,
      verbose: values.verbose === true,
    },
  };
}

/**
 * Why browsers cannot use this relay address, or null (the page's own check, src/node/urlOptions).
 * @param {string} text
 */
export function relayProblem(text) {
  try {
    const names = multiaddr(text)
      .getComponents()
      .map((c) => c.name);
    if (!names.includes('p2p')) return 'the address must end in /p2p/<relay peer id>';
    if (!names.includes('ws') && !names.includes('wss')) {
      return 'browsers reach the relay over WebSockets: the address needs /ws or /wss';
    }
    return null;
  } catch (err) {
    return `not a multiaddr (${errorMessage(err)})`;
  }
}

/**
 * The app URL that goes with a relay address when --app is not given: a relay behind TLS
 * (/wss, /tls/ws) is assumed to sit behind a reverse proxy that serves the app on the same host
 * and port (https://HOST/ for 443); a plain /ws relay serves it itself on its default HTTP
 * port, http://HOST:8080/.
 * @param {string} relayAddr
 */
export function appUrlForRelay(relayAddr) {
  const parts = multiaddr(relayAddr).getComponents();
  const hostPart = parts.find((c) =>
    ['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr'].includes(c.name),
  );
  if (!hostPart?.value) throw new Error(`no host in ${relayAddr}`);
  const host = hostPart.name === 'ip6' ? `[${hostPart.value}]` : hostPart.value;
  const secure = parts.some((c) => c.name === 'wss' || c.name === 'tls');
  if (!secure) return `http://${host}:8080/`;
  const port = parts.find((c) => c.name === 'tcp')?.value ?? '443';
  return port === '443' ? `https://${host}/` : `https://${host}:${port}/`;
}

/**
 * The page URL of node `index`.
 * @param {string} app
 * @param {number} index
 * @param {SwarmOptions} options
 */
export function nodeUrl(app, index, options) {
  const url = new URL(app);
  url.searchParams.set('autostart', '1');
  url.searchParams.set('profile', `node-${index}`);
  if (options.relay) url.searchParams.set('relay', options.relay);
  if (options.domain) url.searchParams.set('domain', options.domain);
  if (options.backend) url.searchParams.set('backend', options.backend);
  if (options.steps !== null) url.searchParams.set('steps', String(options.steps));
  if (options.ice) url.searchParams.set('ice', options.ice);
  if (options.debug) url.searchParams.set('debug', '1');
  return url.href;
}

/**
 * The status line of one node.
 * @param {string} node
 * @param {number} t
 * @param {NodeStatus | null} s null when the node is down
 * @param {string | null} [problem]
 * @returns {StatusLine}
 */
export function statusLine(node, t, s, problem = null) {
  if (!s) return { event: 'status', t, node, up: false, error: problem };
  /** @type {Record<string, Set<string>>} */
  const byTransport = {};
  for (const c of s.connections) {
    const peers = byTransport[c.transport] ?? new Set();
    peers.add(c.peerId);
    byTransport[c.transport] = peers;
  }
  return {
    event: 'status',
    t,
    node,
    up: true,
    peerId: s.peerId,
    peers: s.peers,
    transports: Object.fromEntries(Object.entries(byTransport).map(([k, v]) => [k, v.size])),
    height: s.head.height,
    hash: s.head.hash,
    backend: s.backend,
    best: Object.fromEntries(s.domains.map((d) => [d.id, d.best])),
    verified: s.work?.verified ?? 0,
    votes: s.work?.votesCast ?? 0,
    blocksMade: s.work?.blocksMade ?? 0,
    balance: s.balance,
    contributing: s.contributing,
    mode: s.mode,
    relay: s.network?.relay.status ?? null,
    error: problem ?? s.error ?? null,
  };
}

/** Restarts of one node after crashes before the swarm gives up on it. */
const MAX_RESTARTS = 5;
/** Attempts at the first launch of a node (a loaded machine can time a page load out). */
const LAUNCH_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 180_000;
const CALL_TIMEOUT_MS = 30_000;

/**
 * One node of the swarm: a Chromium process with a persistent profile, restarted (same profile,
 * so same identity and chain) when its page crashes or its browser exits.
 */
class SwarmNode {
  /**
   * @param {number} index
   * @param {string} url
   * @param {string} userDataDir
   * @param {SwarmContext} ctx
   */
  constructor(index, url, userDataDir, ctx) {
    this.index = index;
    this.name = `node-${index}`;
    this.url = url;
    this.userDataDir = userDataDir;
    this.ctx = ctx;
    /** @type {import('./launch.mjs').LaunchedNode | null} */
    this.handle = null;
    /** @type {'starting' | 'up' | 'restarting' | 'failed' | 'closed'} */
    this.state = 'starting';
    this.restarts = 0;
    /** @type {string | null} */
    this.peerId = null;
    /** @type {Promise<void> | null} */
    this.starting = null;
  }

  /** Launches the browser and waits for the page; retries a few times. */
  async start() {
    let lastError = '';
    for (let attempt = 1; attempt <= LAUNCH_ATTEMPTS; attempt++) {
      if (this.closed()) return;
      try {
        const handle = await launchNode({
          url: this.url,
          name: this.name,
          userDataDir: this.userDataDir,
          handleSignals: false,
          log: this.ctx.log,
          console: this.ctx.verbose,
          readyTimeoutMs: READY_TIMEOUT_MS,
        });
        if (this.closed()) {
          await handle.close();
          return;
        }
        this.handle = handle;
        this.state = 'up';
        this.peerId = await handle.page.evaluate(() => window.doin.status().peerId);
        void handle.gone.then((reason) => this.onGone(handle, reason));
        return;
      } catch (err) {
        lastError = errorMessage(err).split('\n')[0] ?? '';
        if (this.closed()) return;
        this.ctx.emit({ event: 'error', node: this.name, attempt, message: lastError });
      }
    }
    this.state = 'failed';
    this.ctx.emit({ event: 'failed', node: this.name, message: lastError });
  }

  /**
   * @param {import('./launch.mjs').LaunchedNode} handle
   * @param {string} reason
   */
  onGone(handle, reason) {
    if (reason === 'closed' || this.handle !== handle || this.state !== 'up') return;
    this.handle = null;
    if (this.restarts >= MAX_RESTARTS) {
      this.state = 'failed';
      this.ctx.emit({ event: 'failed', node: this.name, message: `${reason}; gave up` });
      void handle.close();
      return;
    }
    this.restarts++;
    this.state = 'restarting';
    this.ctx.emit({ event: 'restart', node: this.name, reason, restarts: this.restarts });
    this.starting = (async () => {
      await handle.close(); // a crashed page's browser may still run: free the profile first
      await this.start();
    })();
    void this.starting.catch(() => {});
  }

  /** @returns {Promise<NodeStatus | null>} */
  async status() {
    const handle = this.handle;
    if (this.state !== 'up' || !handle) return null;
    return withTimeout(
      handle.page.evaluate(() => window.doin.status()),
      CALL_TIMEOUT_MS,
      'status() timed out',
    );
  }

  /** Stops contributing (training, evaluating); the node keeps following the chain. */
  async stopContributing() {
    const handle = this.handle;
    if (this.state !== 'up' || !handle) return;
    await withTimeout(
      handle.page.evaluate(() => window.doin.stop()),
      CALL_TIMEOUT_MS,
      'stop() timed out',
    ).catch((err) => this.ctx.log(`[${this.name}] ${errorMessage(err)}`));
  }

  /** True once close() was called (a method: TypeScript would narrow a field across awaits). */
  closed() {
    return this.state === 'closed';
  }

  /** Starts the node (see start); `starting` settles once it is up, failed or closed. */
  launch() {
    this.starting = this.start();
    return this.starting;
  }

  async close() {
    this.state = 'closed';
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
    // A launch under way closes its browser itself once it sees the node closed.
    await this.starting?.catch(() => {});
  }
}

/**
 * @typedef {object} SwarmContext
 * @property {(line: Record<string, unknown>) => void} emit prints a JSON line (t is added)
 * @property {(text: string) => void} log a note for humans (stderr)
 * @property {boolean} verbose
 */

/**
 * @typedef {object} SwarmIO
 * @property {(line: string) => void} out one JSON line (stdout)
 * @property {(text: string) => void} err notes for humans (stderr)
 * @property {AbortSignal} [signal] aborting it stops the swarm (Ctrl-C)
 */

/**
 * Runs the swarm until the duration is over or `io.signal` aborts; resolves to the exit status.
 * @param {SwarmOptions} options
 * @param {SwarmIO} io
 * @returns {Promise<number>}
 */
export async function runSwarm(options, io) {
  const startedAt = Date.now();
  const t = () => Math.round((Date.now() - startedAt) / 100) / 10;
  /** @type {SwarmContext} */
  const ctx = {
    emit: (line) => io.out(JSON.stringify({ event: line.event, t: t(), ...line })),
    log: io.err,
    verbose: options.verbose,
  };
  const signal = io.signal ?? new AbortController().signal;
  const aborted = new Promise((resolveAbort) => {
    if (signal.aborted) resolveAbort(undefined);
    else signal.addEventListener('abort', () => resolveAbort(undefined), { once: true });
  });
  /** @param {number} ms */
  const pause = (ms) => Promise.race([new Promise((r) => setTimeout(r, Math.max(0, ms))), aborted]);

  const { executablePath } = chromiumFlags();
  if (!existsSync(executablePath)) {
    io.err(
      `swarm: no Chromium at ${executablePath}. Install Debian's chromium ` +
        '(sudo apt-get install -y chromium) or set CHROMIUM_PATH.',
    );
    return 1;
  }
  if (!options.relay && !existsSync(join(repoRoot, 'dist', 'index.html'))) {
    io.err(
      `swarm: the app is not built (${join(repoRoot, 'dist', 'index.html')} missing). ` +
        'Run `npm run build` (npm run swarm does), or join a relay with --relay and --app.',
    );
    return 1;
  }

  const tempRoot = options.profileDir ? null : await mkdtemp(join(tmpdir(), 'doin-swarm-'));
  const profileRoot = options.profileDir ?? /** @type {string} */ (tempRoot);
  /** @type {Awaited<ReturnType<typeof import('../relay/relay.js').startRelay>> | null} */
  let relay = null;
  /** @type {SwarmNode[]} */
  let nodes = [];
  // If the process is made to exit at once (a second Ctrl-C), still remove the temporary folder.
  const removeTemp = () => {
    if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  };
  process.once('exit', removeTemp);
  try {
    await mkdir(profileRoot, { recursive: true });
    let app = options.app;
    let relayAddr = options.relay;
    if (!relayAddr) {
      relay = await startLocalRelay(options, profileRoot, ctx);
      app = relay.appUrl;
      relayAddr = relay.multiaddrs.find((ma) => ma.includes('/ws/')) ?? relay.multiaddrs[0] ?? '';
    }
    app ??= appUrlForRelay(relayAddr);
    ctx.emit({
      event: 'start',
      peers: options.peers,
      app,
      relay: relayAddr,
      localRelay: relay !== null,
      network: relay?.networkName ?? null,
      profileDir: options.profileDir,
    });

    const appUrl = app;
    nodes = Array.from(
      { length: options.peers },
      (_, i) => new SwarmNode(i, nodeUrl(appUrl, i, options), join(profileRoot, `node-${i}`), ctx),
    );
    await Promise.race([Promise.all(nodes.map((n) => n.launch())), aborted]);
    /** @type {SummaryLine['reason']} */
    let reason = 'duration';
    if (signal.aborted) reason = 'signal';
    else if (nodes.some((n) => n.state !== 'up')) reason = 'failure';
    else {
      const first = await nodes[0]?.status().catch(() => null);
      ctx.emit({
        event: 'ready',
        // The network the pages joined (its genesis hash names it).
        network: first?.network ? { id: first.network.id, name: first.network.name } : null,
        nodes: nodes.map((n) => ({ node: n.name, peerId: n.peerId })),
      });
      const endAt = options.duration === null ? Infinity : Date.now() + options.duration * 1000;
      let next = Date.now();
      while (!signal.aborted && Date.now() < endAt) {
        for (const line of await pollStatus(nodes, t)) ctx.emit(line);
        next += options.interval * 1000;
        await pause(Math.min(next, endAt) - Date.now());
      }
      if (signal.aborted) reason = 'signal';
    }

    ctx.emit({ event: 'stopping', reason });
    let final = await pollStatus(nodes, t);
    // Interrupted while the nodes were still starting: nothing to wait for.
    const launching = nodes.some((n) => n.state === 'starting');
    if (reason !== 'failure' && !launching) {
      if (signal.aborted) io.err('swarm: stopping (Ctrl-C again to quit at once)…');
      await Promise.all(nodes.map((n) => n.stopContributing()));
      // Let blocks in flight arrive: wait until the heads agree, or the grace period ends. A
      // node may still make a block from its pool meanwhile, so agreement is judged on one
      // reading of all nodes, the one printed below.
      const deadline = Date.now() + options.grace * 1000;
      final = await pollStatus(nodes, t);
      while (!agreeOnHead(final) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1_000));
        final = await pollStatus(nodes, t);
      }
    }
    for (const line of final) ctx.emit(line);
    const agreed = reason !== 'failure' && agreeOnHead(final);
    const first = final[0];
    /** @type {SummaryLine} */
    const summary = {
      event: 'summary',
      t: t(),
      reason,
      agreed,
      head:
        agreed && first?.height !== undefined && first.hash !== undefined
          ? { height: first.height, hash: first.hash }
          : null,
      restarts: nodes.reduce((sum, n) => sum + n.restarts, 0),
      nodes: nodes.map((n, i) => {
        const line = final[i];
        return {
          node: n.name,
          up: line?.up ?? false,
          peerId: n.peerId,
          height: line?.height ?? null,
          hash: line?.hash ?? null,
          balance: line?.balance ?? 0,
          verified: line?.verified ?? 0,
          votes: line?.votes ?? 0,
          blocksMade: line?.blocksMade ?? 0,
          restarts: n.restarts,
        };
      }),
    };
    await Promise.all(nodes.map((n) => n.close()));
    io.out(JSON.stringify(summary));
    return agreed ? 0 : 1;
  } catch (err) {
    ctx.emit({ event: 'error', message: errorMessage(err) });
    io.err(`swarm: ${errorMessage(err)}`);
    return 1;
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await relay?.stop().catch(() => {});
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true }).catch(() => {});
    process.off('exit', removeTemp);
  }
}

/**
 * Starts the swarm's own relay (it serves the app too). A page's IndexedDB belongs to the app's
 * origin, port included: with --profile-dir the relay's ports are kept in
 * DIR/local-relay.json and used again next time, so the nodes find their identity and chain.
 * @param {SwarmOptions} options
 * @param {string} profileRoot
 * @param {SwarmContext} ctx
 */
async function startLocalRelay(options, profileRoot, ctx) {
  const { startRelay } = await import('../relay/relay.js');
  const portsFile = join(profileRoot, 'local-relay.json');
  /** @type {{ port: number, httpPort: number } | null} */
  let remembered = null;
  if (options.profileDir && options.port === null && options.httpPort === null) {
    try {
      const saved = JSON.parse(await readFile(portsFile, 'utf8'));
      if (Number.isInteger(saved.port) && Number.isInteger(saved.httpPort)) remembered = saved;
    } catch {
      // first run with this folder
    }
  }
  const base = {
    // With --profile-dir the relay keeps its key there too, so its address is stable.
    keyPath: join(profileRoot, 'relay-key'),
    ...(options.network ? { networkPath: options.network } : {}),
  };
  const ports = remembered ?? { port: options.port ?? 0, httpPort: options.httpPort ?? 0 };
  let relay;
  try {
    relay = await startRelay({ ...base, ...ports });
  } catch (err) {
    if (!remembered) throw err;
    ctx.emit({
      event: 'error',
      message:
        `cannot reuse the ports in ${portsFile} (${errorMessage(err)}): on other ports the app ` +
        'has another origin, so the nodes start afresh (new identity, empty chain) this time',
    });
    relay = await startRelay({ ...base, port: 0, httpPort: 0 });
  }
  if (options.profileDir) {
    await writeFile(
      portsFile,
      `${JSON.stringify({ port: relay.wsPort, httpPort: relay.httpPort })}\n`,
    );
  }
  return relay;
}

/**
 * Reads every node's status: one line each, in node order.
 * @param {SwarmNode[]} nodes
 * @param {() => number} t
 * @returns {Promise<StatusLine[]>}
 */
function pollStatus(nodes, t) {
  return Promise.all(
    nodes.map(async (n) => {
      try {
        const s = await n.status();
        return statusLine(n.name, t(), s, s ? null : n.state);
      } catch (err) {
        return statusLine(n.name, t(), null, errorMessage(err).split('\n')[0] ?? null);
      }
    }),
  );
}

/**
 * True when every node is up and all report the same head.
 * @param {StatusLine[]} lines
 */
export function agreeOnHead(lines) {
  const first = lines[0]?.hash;
  return first !== undefined && lines.every((l) => l.up && l.hash === first);
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} message
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms, message) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout])).finally(() =>
    clearTimeout(timer),
  );
}

/** @param {unknown} err */
function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The command: parses `argv`, runs the swarm with stdout/stderr and Ctrl-C (SIGINT, SIGTERM),
 * and resolves to the exit status.
 * @param {string[]} argv
 */
export async function main(argv) {
  const parsed = parseSwarmArgs(argv);
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`swarm: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const controller = new AbortController();
  let signals = 0;
  /** @param {NodeJS.Signals} name */
  const onSignal = (name) => {
    signals++;
    if (signals === 1) controller.abort();
    else {
      // Second signal: quit now. Playwright's exit handler kills the browsers it launched.
      console.error(`swarm: ${name} again, quitting without waiting`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whoever read our output went away (e.g. `| head`): stop as if interrupted.
  const onOutputError = () => controller.abort();
  process.stdout.on('error', onOutputError);
  try {
    return await runSwarm(parsed.options, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onOutputError);
  }
}
