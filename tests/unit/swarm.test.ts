// The swarm command's pure parts (swarm/swarm.mjs): its options, the app URL it derives from a
// relay address, each node's page URL, its status lines and the agreement it exits on. The
// command itself runs end to end in tests/e2e/swarm.spec.ts.
import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/node/api';
import {
  agreeOnHead,
  appUrlForRelay,
  nodeUrl,
  parseSwarmArgs,
  relayProblem,
  statusLine,
} from '../../swarm/swarm.mjs';

const ID = '12D3KooWD51LUdg5pZYUZoSy6JnpQ5hDnu5DkLvdo3oTghmuGMKV';

function options(argv: string[]) {
  const parsed = parseSwarmArgs(argv);
  if (parsed.help || 'error' in parsed) throw new Error(`unexpected: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function problem(argv: string[]) {
  const parsed = parseSwarmArgs(argv);
  return !parsed.help && 'error' in parsed ? parsed.error : null;
}

describe('swarm options', () => {
  it('has defaults for a local swarm', () => {
    const o = options([]);
    expect(o).toMatchObject({ peers: 1, relay: null, app: null, duration: null, interval: 10 });
    expect(o.grace).toBe(30);
    expect(o.profileDir).toBeNull();
  });

  it('reads every flag', () => {
    const o = options([
      ...['--peers', '3', '--relay', `/dns4/relay.example.org/tcp/443/wss/p2p/${ID}`],
      ...['--app', 'https://app.example.org/doin/', '--domain', 'quadratic-16'],
      ...['--backend', 'wasm', '--steps', '4', '--duration', '60', '--interval', '2.5'],
      ...['--grace', '5', '--profile-dir', 'nodes', '--ice', 'stun:stun.example.org', '--debug'],
    ]);
    expect(o).toMatchObject({
      peers: 3,
      app: 'https://app.example.org/doin/',
      domain: 'quadratic-16',
      backend: 'wasm',
      steps: 4,
      duration: 60,
      interval: 2.5,
      grace: 5,
      ice: 'stun:stun.example.org',
      debug: true,
    });
    expect(o.profileDir).toMatch(/\/nodes$/); // made absolute
  });

  it('refuses what cannot work, in words', () => {
    expect(problem(['--peers', '0'])).toMatch(/--peers 0/);
    expect(problem(['--peers', '2.5'])).toMatch(/whole number/);
    expect(problem(['--relay', '/ip4/1.2.3.4/tcp/9090/ws'])).toMatch(/\/p2p\//);
    expect(problem(['--relay', `/ip4/1.2.3.4/tcp/9090/p2p/${ID}`])).toMatch(/WebSockets/);
    expect(problem(['--app', 'https://x.example/'])).toMatch(/--app needs --relay/);
    expect(
      problem(['--relay', `/ip4/1.2.3.4/tcp/9090/ws/p2p/${ID}`, '--network', 'net.json']),
    ).toMatch(/local relay only/);
    expect(problem(['--backend', 'gpu'])).toMatch(/--backend gpu/);
    expect(problem(['--domain', 'Not A Domain'])).toMatch(/--domain/);
    expect(problem(['--bogus'])).toMatch(/bogus/);
    expect(parseSwarmArgs(['--help'])).toEqual({ help: true });
  });
});

describe('addresses and URLs', () => {
  it('checks relay addresses as the page does', () => {
    expect(relayProblem(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${ID}`)).toBeNull();
    expect(relayProblem(`/dns4/relay.example.org/tcp/443/tls/ws/p2p/${ID}`)).toBeNull();
    expect(relayProblem('not an address')).toMatch(/not a multiaddr/);
  });

  it('derives the app from the relay address', () => {
    expect(appUrlForRelay(`/dns4/relay.example.org/tcp/443/wss/p2p/${ID}`)).toBe(
      'https://relay.example.org/',
    );
    expect(appUrlForRelay(`/dns4/relay.example.org/tcp/8443/wss/p2p/${ID}`)).toBe(
      'https://relay.example.org:8443/',
    );
    expect(appUrlForRelay(`/ip4/192.168.1.20/tcp/9090/ws/p2p/${ID}`)).toBe(
      'http://192.168.1.20:8080/',
    );
    expect(appUrlForRelay(`/ip6/::1/tcp/9090/ws/p2p/${ID}`)).toBe('http://[::1]:8080/');
  });

  it('opens each node on its own profile with autostart and the options', () => {
    const relay = `/dns4/relay.example.org/tcp/443/wss/p2p/${ID}`;
    const o = options(['--relay', relay, '--domain', 'mackey-glass', '--steps', '500']);
    const url = new URL(nodeUrl('https://relay.example.org/?lang=en', 2, o));
    expect(url.origin).toBe('https://relay.example.org');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      lang: 'en',
      autostart: '1',
      profile: 'node-2',
      relay,
      domain: 'mackey-glass',
      steps: '500',
    });
  });
});

describe('status lines', () => {
  const status = (hash: string, height: number): NodeStatus =>
    ({
      peerId: 'peer',
      peers: 2,
      connections: [
        { peerId: 'a', transport: 'webrtc' },
        { peerId: 'b', transport: 'webrtc' },
        { peerId: 'relay', transport: 'websockets' },
        { peerId: 'a', transport: 'webrtc' },
      ],
      head: { height, hash },
      backend: 'wasm',
      domains: [{ id: 'quadratic-16', best: 0.5 }],
      contributing: true,
      balance: 42,
      mode: 'network',
      work: { verified: 2, votesCast: 3, blocksMade: 1 },
    }) as unknown as NodeStatus;

  it('summarizes a node', () => {
    expect(statusLine('node-0', 1.5, status('h', 3))).toMatchObject({
      event: 'status',
      node: 'node-0',
      up: true,
      transports: { webrtc: 2, websockets: 1 },
      height: 3,
      hash: 'h',
      best: { 'quadratic-16': 0.5 },
      verified: 2,
      votes: 3,
      blocksMade: 1,
      balance: 42,
    });
    expect(statusLine('node-1', 2, null, 'restarting')).toEqual({
      event: 'status',
      t: 2,
      node: 'node-1',
      up: false,
      error: 'restarting',
    });
  });

  it('agrees only when every node is up on one head', () => {
    const a = statusLine('node-0', 1, status('h', 3));
    const b = statusLine('node-1', 1, status('h', 3));
    const c = statusLine('node-2', 1, status('g', 3));
    const down = statusLine('node-2', 1, null, 'restarting');
    expect(agreeOnHead([a, b])).toBe(true);
    expect(agreeOnHead([a, b, c])).toBe(false);
    expect(agreeOnHead([a, b, down])).toBe(false);
    expect(agreeOnHead([])).toBe(false);
  });
});
