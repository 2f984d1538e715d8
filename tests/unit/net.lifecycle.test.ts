// The pure parts of the page's network lifecycle: relay retry delays, which addresses count as
// browser-to-browser WebRTC, and how a page finds the relay that served it.
import { multiaddr } from '@multiformats/multiaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { networkIdOf } from '../../src/core/genesis';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/net/backoff';
import { isRelayedWebrtc } from '../../src/net/netNode';
import { LOCAL_TESTNET } from '../../src/node/networks';
import { findServingRelay } from '../../src/node/pageNode';

const RELAY_ID = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA';
const PAGE_ID = '12D3KooWSNiT7oCwdr3pRGJ4hP2gep1mop49BHBZxwEyYCtZY7Ds';

describe('relay retry backoff', () => {
  it('doubles from the initial delay up to the cap, jittered within [base/2, base]', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, r) => {
          const base = Math.min(
            DEFAULT_BACKOFF.maxMs,
            DEFAULT_BACKOFF.initialMs * 2 ** Math.min(attempt, 30),
          );
          const delay = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base / 2));
          expect(delay).toBeLessThanOrEqual(base);
        },
      ),
    );
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(4_000);
    expect(backoffDelay(50, DEFAULT_BACKOFF, () => 0.999)).toBeLessThanOrEqual(30_000);
  });
});

describe('addresses', () => {
  it('a relayed /webrtc address reaches another browser; the relay itself and plain circuits do not', () => {
    const relay = `/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY_ID}`;
    expect(isRelayedWebrtc(multiaddr(`${relay}/p2p-circuit/webrtc/p2p/${PAGE_ID}`))).toBe(true);
    expect(isRelayedWebrtc(multiaddr(`${relay}/p2p-circuit/p2p/${PAGE_ID}`))).toBe(false);
    expect(isRelayedWebrtc(multiaddr(relay))).toBe(false);
  });
});

describe('finding the relay that served the page', () => {
  const status = {
    peerId: RELAY_ID,
    listenAddrs: [
      `/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY_ID}`,
      `/ip4/192.168.1.20/tcp/9090/ws/p2p/${RELAY_ID}`,
    ],
    peers: [],
    topics: [],
  };
  const serve = (routes: Record<string, unknown>) => async (path: string) => {
    if (!(path in routes)) throw new Error(`${path}: HTTP 404`);
    return routes[path];
  };

  it('prefers the address on the host the page came from, and joins the network the relay runs', async () => {
    const network = { ...LOCAL_TESTNET, name: 'another-net' };
    const lan = await findServingRelay(
      new URL('http://192.168.1.20:8080/'),
      serve({ '/status': status, '/network': network }),
    );
    expect(lan?.relay).toBe(status.listenAddrs[1]);
    expect(networkIdOf(lan?.params ?? LOCAL_TESTNET)).toBe(networkIdOf(network));
    const local = await findServingRelay(
      new URL('http://localhost:8080/'),
      serve({ '/status': status }),
    );
    expect(local?.relay).toBe(status.listenAddrs[0]);
    expect(local?.params.name).toBe(LOCAL_TESTNET.name); // no /network: the default net
  });

  it('finds none on a plain static host or with a malformed /status, and refuses a malformed network', async () => {
    expect(await findServingRelay(new URL('http://127.0.0.1:4173/'), serve({}))).toBeNull();
    expect(
      await findServingRelay(new URL('http://127.0.0.1/'), serve({ '/status': { peerId: 5 } })),
    ).toBeNull();
    expect(
      await findServingRelay(
        new URL('http://127.0.0.1/'),
        serve({ '/status': { ...status, listenAddrs: ['/ip4/1.2.3.4/tcp/1'] } }),
      ),
    ).toBeNull();
    const bad = await findServingRelay(
      new URL('http://127.0.0.1/'),
      serve({ '/status': status, '/network': { name: 'x' } }),
    );
    expect(bad?.params.name).toBe(LOCAL_TESTNET.name);
  });
});
