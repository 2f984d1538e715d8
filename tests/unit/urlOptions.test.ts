import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_DOMAIN, parseUrlOptions } from '../../src/node/urlOptions';

describe('page URL options', () => {
  it('defaults: forecasting domain, measured backend, no autostart', () => {
    expect(parseUrlOptions('')).toEqual({
      domain: DEFAULT_TRAINING_DOMAIN,
      domainFixed: false,
      backend: 'auto',
      autostart: false,
      relay: null,
      profile: 'default',
      iceServers: [],
      steps: null,
      debug: false,
      errors: [],
    });
  });

  it('accepts valid values', () => {
    expect(parseUrlOptions('?domain=boston-housing&backend=wasm&autostart=1')).toEqual({
      domain: 'boston-housing',
      domainFixed: true,
      backend: 'wasm',
      autostart: true,
      relay: null,
      profile: 'default',
      iceServers: [],
      steps: null,
      debug: false,
      errors: [],
    });
  });

  it('accepts a relay multiaddr, a profile, STUN/TURN servers and debug', () => {
    const relay =
      '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA';
    const options = parseUrlOptions(
      `?relay=${encodeURIComponent(relay)}&profile=alice-2&ice=stun:stun.example.org:3478,turn:t.example.org&debug=1`,
    );
    expect(options).toMatchObject({
      relay,
      profile: 'alice-2',
      iceServers: ['stun:stun.example.org:3478', 'turn:t.example.org'],
      debug: true,
      errors: [],
    });
  });

  it('refuses relay addresses a browser cannot use, bad profiles and non-ICE URLs', () => {
    const options = parseUrlOptions(
      '?relay=/ip4/127.0.0.1/tcp/9090/ws&profile=../x&ice=http://evil.example',
    );
    expect(options.relay).toBeNull();
    expect(options.profile).toBe('default');
    expect(options.iceServers).toEqual([]);
    expect(options.errors).toHaveLength(3);
    expect(options.errors[0]).toMatch(/\/p2p\/<relay peer id>/);
    expect(
      parseUrlOptions(
        '?relay=/ip4/1.2.3.4/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA',
      ).errors[0],
    ).toMatch(/WebSockets/);
    expect(parseUrlOptions('?relay=garbage').errors[0]).toMatch(/not a multiaddr/);
  });

  it('reports and ignores invalid values instead of half-applying them', () => {
    const options = parseUrlOptions('?domain=../../etc&backend=quantum&autostart=yes');
    expect(options.domain).toBe(DEFAULT_TRAINING_DOMAIN);
    expect(options.backend).toBe('auto');
    expect(options.autostart).toBe(false);
    expect(options.errors).toHaveLength(2);
    expect(options.errors[0]).toMatch(/^\?domain=\.\.\/\.\.\/etc ignored: domain ids are/);
    expect(options.errors[1]).toMatch(/^\?backend=quantum ignored: invalid backend "quantum"/);
  });
});
