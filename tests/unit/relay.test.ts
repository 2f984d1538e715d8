// The relay (relay/relay.js) started for real on free ports: /status, a Node libp2p peer dialing it
// over WebSockets, a stable peer id across restarts with the same key file, a clear error for a
// malformed key file, and the static app. Everything started here is stopped in finally/afterAll.
import '../../relay/polyfills.js';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DOIN_DISCOVERY_TOPIC, DOIN_TOPICS, repoRoot, startRelay } from '../../relay/relay.js';

// Node 20 has no global WebSocket, which @libp2p/websockets dials with.
const globals = globalThis as { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in globalThis;
if (globals.WebSocket === undefined) globals.WebSocket = WebSocket;

type Relay = Awaited<ReturnType<typeof startRelay>>;
type Status = {
  peerId: string;
  listenAddrs: string[];
  peers: { peerId: string; addrs: string[] }[];
  topics: string[];
};

let dir = '';
const running = new Set<{ stop: () => void | Promise<void> }>();

async function start(keyPath: string, staticRoot?: string): Promise<Relay> {
  const relay = await startRelay({
    port: 0,
    httpPort: 0,
    keyPath,
    ...(staticRoot ? { staticRoot } : {}),
  });
  running.add(relay);
  return relay;
}

async function stop(thing: { stop: () => void | Promise<void> }): Promise<void> {
  running.delete(thing);
  await thing.stop();
}

async function getStatus(relay: Relay): Promise<{ status: Status; cache: string | null }> {
  const res = await fetch(new URL('/status', relay.appUrl));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: (await res.json()) as Status, cache: res.headers.get('cache-control') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doin-relay-test-'));
});

afterAll(async () => {
  await Promise.allSettled([...running].map((r) => r.stop()));
  running.clear();
  if (!hadWebSocket) delete globals.WebSocket;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('relay', () => {
  it('serves /status, lists a dialing peer, and keeps its peer id across restarts', async () => {
    const keyPath = join(dir, 'sub', 'relay-key');
    const relay = await start(keyPath);
    expect(relay.keyCreated).toBe(true);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(relay.httpPort).toBeGreaterThan(0);
    expect(relay.wsPort).toBeGreaterThan(0);

    const { status, cache } = await getStatus(relay);
    expect(cache).toBe('no-store');
    expect(status.peerId).toBe(relay.peerId);
    const wsAddr = status.listenAddrs.find((a) => a.includes('/ws'));
    expect(wsAddr).toBe(`/ip4/127.0.0.1/tcp/${relay.wsPort}/ws/p2p/${relay.peerId}`);
    expect([...status.topics].sort()).toEqual([...DOIN_TOPICS, DOIN_DISCOVERY_TOPIC].sort());
    expect(status.peers).toEqual([]);

    const client: Libp2p = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    });
    running.add(client);
    try {
      const conn = await client.dial(multiaddr(wsAddr as string));
      expect(conn.remotePeer.toString()).toBe(relay.peerId);
      const clientId = client.peerId.toString();
      let listed: Status['peers'][number] | undefined;
      for (let i = 0; i < 50 && !listed; i++) {
        listed = (await getStatus(relay)).status.peers.find((p) => p.peerId === clientId);
        if (!listed) await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed?.addrs.length).toBeGreaterThan(0);
      expect(listed?.addrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws/);
    } finally {
      await stop(client);
    }

    await stop(relay);
    const again = await start(keyPath);
    try {
      expect(again.keyCreated).toBe(false);
      expect(again.peerId).toBe(relay.peerId);
      expect((await getStatus(again)).status.peerId).toBe(relay.peerId);
    } finally {
      await stop(again);
    }
  }, 20_000);

  it('refuses a malformed key file with a clear error', async () => {
    const keyPath = join(dir, 'bad-key');
    await writeFile(keyPath, 'not a key\n');
    await expect(start(keyPath)).rejects.toThrow(/key file .*bad-key is not a libp2p private key/);
  });

  it('serves the network it runs at /network, the same parameters the page bundles', async () => {
    const relay = await start(join(dir, 'network-key'));
    try {
      const res = await fetch(new URL('/network', relay.appUrl));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual(
        JSON.parse(await readFile(join(repoRoot, 'networks/local-testnet.json'), 'utf8')),
      );
      expect(relay.networkName).toBe('doin-local-testnet');
    } finally {
      await relay.stop();
    }
  });

  it('announces the public address of a proxy in front of it in /status', async () => {
    const announce = '/dns4/doin.example.org/tcp/443/wss';
    const relay = await startRelay({
      port: 0,
      httpPort: 0,
      keyPath: join(dir, 'announce-key'),
      announce: [announce],
    });
    try {
      const status = (await (await fetch(new URL('/status', relay.appUrl))).json()) as Status;
      expect(status.listenAddrs).toContain(`${announce}/p2p/${status.peerId}`);
      expect(status.listenAddrs.some((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('serves the static app next to /status', async () => {
    const root = join(dir, 'www');
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>doin</title>');
    const relay = await start(join(dir, 'static-key'), root);
    try {
      const page = await fetch(relay.appUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>doin</title>');
      const spa = await fetch(new URL('/some/route', relay.appUrl));
      expect(spa.status).toBe(200);
      const missing = await fetch(new URL('/missing.js', relay.appUrl));
      expect(missing.status).toBe(404);
      const post = await fetch(new URL('/status', relay.appUrl), { method: 'POST' });
      expect(post.status).toBe(405);
    } finally {
      await stop(relay);
    }
  });
});
