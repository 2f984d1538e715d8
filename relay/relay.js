// @ts-check
// The doin relay: a libp2p node that browsers dial to find each other (WebSockets, noise, yamux,
// identify, circuit-relay-v2 server, gossipsub forwarding the doin topics), plus an HTTP server
// that serves the built app and GET /status. It stores no chain.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';
import { createStaticHandler, distRoot } from '../scripts/static.mjs';

import { DOIN_DISCOVERY_TOPIC, DOIN_TOPICS } from '../src/net/topics.js';

/** @typedef {import('@libp2p/interface').PrivateKey} PrivateKey */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The relay subscribes to the doin topics and the discovery topic so that it forwards them. */
export { DOIN_DISCOVERY_TOPIC, DOIN_TOPICS };

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 9090,
  httpPort: 8080,
  keyPath: resolve(repoRoot, '.doin', 'relay-key'),
  /** Circuit-relay reservations held at once (the library default is 15). */
  maxReservations: 128,
  /** The network served at /network: pages join it (its genesis hash names it). */
  networkPath: resolve(repoRoot, 'networks', 'local-testnet.json'),
});

/**
 * Reads the network parameters the relay announces. Only shape is checked here (the relay runs
 * no TypeScript); pages validate them fully against the schema before joining.
 * @param {string} path
 */
export async function loadNetwork(path) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`relay: cannot read network file ${path}: ${errorMessage(err)}`);
  }
  /** @type {unknown} */
  let network;
  try {
    network = JSON.parse(text);
  } catch (err) {
    throw new Error(`relay: network file ${path} is not JSON: ${errorMessage(err)}`);
  }
  const record = /** @type {Record<string, unknown>} */ (network);
  if (typeof network !== 'object' || network === null || typeof record.name !== 'string') {
    throw new Error(`relay: network file ${path} holds no network parameters (no "name")`);
  }
  return { body: `${JSON.stringify(network)}\n`, name: record.name };
}

/**
 * Reads the relay's Ed25519 key from keyPath, or creates it there (mode 0600) on first start.
 * The file holds the libp2p protobuf encoding of the private key.
 * @param {string} keyPath
 * @returns {Promise<{ privateKey: PrivateKey, created: boolean }>}
 */
export async function loadOrCreateKey(keyPath) {
  /** @type {Uint8Array} */
  let bytes;
  try {
    bytes = await readFile(keyPath);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') {
      throw new Error(`relay: cannot read key file ${keyPath}: ${errorMessage(err)}`);
    }
    const privateKey = await generateKeyPair('Ed25519');
    await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process created meanwhile.
    await writeFile(keyPath, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' });
    await chmod(keyPath, 0o600); // in case the umask stripped bits we asked for (it cannot add)
    return { privateKey, created: true };
  }
  /** @type {PrivateKey} */
  let privateKey;
  try {
    privateKey = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new Error(
      `relay: key file ${keyPath} is not a libp2p private key (${errorMessage(err)}); ` +
        'fix it or delete it to create a new key (the relay multiaddr will change).',
    );
  }
  if (privateKey.type !== 'Ed25519') {
    throw new Error(`relay: key file ${keyPath} holds a ${privateKey.type} key, expected Ed25519`);
  }
  return { privateKey, created: false };
}

/** @param {unknown} err */
function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * @typedef {object} RelayOptions
 * @property {string} [host] libp2p WebSockets listen host (default 127.0.0.1)
 * @property {number} [port] libp2p WebSockets listen port (default 9090; 0 picks a free one)
 * @property {string} [httpHost] HTTP listen host (default: host)
 * @property {number} [httpPort] HTTP listen port (default 8080; 0 picks a free one)
 * @property {string} [keyPath] key file (default <repo>/.doin/relay-key)
 * @property {string} [staticRoot] folder served over HTTP (default <repo>/dist)
 * @property {readonly string[]} [topics] gossip topics to forward (default: DOIN_TOPICS and discovery)
 * @property {string} [networkPath] network parameters served at /network (default: local test net)
 * @property {number} [maxReservations] circuit-relay reservations held at once
 * @property {readonly string[]} [announce] extra public addresses to announce (e.g. the
 *   /dns4/<host>/tcp/443/wss address of a TLS proxy in front of the relay)
 */

/**
 * @typedef {object} RelayStatus
 * @property {string} peerId
 * @property {string[]} listenAddrs
 * @property {{ peerId: string, addrs: string[] }[]} peers
 * @property {string[]} topics
 */

/**
 * Starts the relay. Resolves once both the libp2p node and the HTTP server listen.
 * @param {RelayOptions} [options]
 */
export async function startRelay(options = {}) {
  const host = options.host ?? DEFAULTS.host;
  const port = options.port ?? DEFAULTS.port;
  const httpHost = options.httpHost ?? host;
  const httpPort = options.httpPort ?? DEFAULTS.httpPort;
  const keyPath = resolve(options.keyPath ?? DEFAULTS.keyPath);
  const topics = [...(options.topics ?? [...DOIN_TOPICS, DOIN_DISCOVERY_TOPIC])];
  const network = await loadNetwork(resolve(options.networkPath ?? DEFAULTS.networkPath));
  checkPort('port', port);
  checkPort('httpPort', httpPort);

  const { privateKey, created: keyCreated } = await loadOrCreateKey(keyPath);
  const wsHost = host.includes(':') ? `/ip6/${host}` : `/ip4/${host}`;

  const listen = `${wsHost}/tcp/${port}/ws`;
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: [listen], appendAnnounce: [...(options.announce ?? [])] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      // Default limits on relayed connections (duration and data) stay on: gossipsub then keeps
      // off relayed connections and moves to the direct WebRTC ones (issue 5, verified notes).
      relay: circuitRelayServer({
        reservations: { maxReservations: options.maxReservations ?? DEFAULTS.maxReservations },
      }),
      pubsub: gossipsub(),
    },
  }).catch((err) => {
    // libp2p's listen error is several paragraphs with a stack; keep the line that says why.
    const text = errorMessage(err);
    const reason = text.match(/Error: (.+)/)?.[1] ?? text.split('\n')[0];
    throw new Error(`relay: cannot start libp2p on ${listen}: ${reason}`);
  });
  for (const topic of topics) node.services.pubsub.subscribe(topic);

  /** @returns {RelayStatus} */
  function status() {
    /** @type {Map<string, Set<string>>} */
    const peers = new Map();
    for (const conn of node.getConnections()) {
      if (conn.status !== 'open') continue;
      const id = conn.remotePeer.toString();
      const addrs = peers.get(id) ?? new Set();
      addrs.add(conn.remoteAddr.toString());
      peers.set(id, addrs);
    }
    return {
      peerId: node.peerId.toString(),
      listenAddrs: node.getMultiaddrs().map((ma) => ma.toString()),
      peers: [...peers].map(([peerId, addrs]) => ({ peerId, addrs: [...addrs] })),
      topics: node.services.pubsub.getTopics(),
    };
  }

  const serveStatic = createStaticHandler(options.staticRoot ?? distRoot);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const json =
      pathname === '/status'
        ? JSON.stringify(status())
        : pathname === '/network'
          ? network.body
          : null;
    if (json !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = json;
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': '*',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    serveStatic(req, res).catch(() => res.destroy());
  });

  try {
    await new Promise((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(httpPort, httpHost, () => {
        server.off('error', rejectListen);
        resolveListen(undefined);
      });
    });
  } catch (err) {
    await node.stop();
    throw new Error(
      `relay: cannot listen for HTTP on ${httpHost}:${httpPort}: ${errorMessage(err)}`,
    );
  }

  const address = server.address();
  const actualHttpPort = typeof address === 'object' && address ? address.port : httpPort;
  const shownHost = httpHost.includes(':') ? `[${httpHost}]` : httpHost;
  const appUrl = `http://${shownHost}:${actualHttpPort}/`;
  const multiaddrs = node.getMultiaddrs().map((ma) => ma.toString());
  const wsAddr = multiaddrs.find((ma) => ma.includes('/ws/'));
  const wsPort = Number(wsAddr?.match(/\/tcp\/(\d+)\//)?.[1] ?? port);

  let stopping = /** @type {Promise<void> | null} */ (null);
  /** Stops the HTTP server and the libp2p node; safe to call more than once. */
  function stop() {
    stopping ??= (async () => {
      const closed = new Promise((done) => server.close(() => done(undefined)));
      server.closeAllConnections();
      await Promise.all([closed, node.stop()]);
    })();
    return stopping;
  }

  return {
    node,
    peerId: node.peerId.toString(),
    /** The relay's multiaddrs, /p2p/<peer id> included. */
    multiaddrs,
    appUrl,
    httpPort: actualHttpPort,
    wsPort,
    keyPath,
    keyCreated,
    status,
    /** The name of the network served at /network. */
    networkName: network.name,
    stop,
  };
}

/**
 * @param {string} name
 * @param {number} value
 */
function checkPort(name, value) {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`relay: invalid ${name} ${value}`);
  }
}
