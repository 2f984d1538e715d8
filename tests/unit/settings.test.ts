/**
 * Saved settings (src/node/settings.ts): validated on save and on load (a bad stored value is
 * dropped with a reason, never half-applied), per profile, and URL parameters win for a visit.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  saveSettings,
  type UserSettings,
  withSettings,
} from '../../src/node/settings';
import { parseUrlOptions } from '../../src/node/urlOptions';

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, String(v)),
  };
}

const custom: UserSettings = {
  relay: RELAY,
  iceServers: ['stun:stun.example.org:3478'],
  backend: 'wasm',
  domain: 'boston-housing',
  dutyCycle: 0.5,
};

describe('settings', () => {
  it('round-trips per profile and starts from the defaults', () => {
    const storage = memoryStorage();
    expect(loadSettings('a', storage)).toEqual({ settings: DEFAULT_SETTINGS, problem: null });
    saveSettings('a', custom, storage);
    expect(loadSettings('a', storage).settings).toEqual(custom);
    expect(loadSettings('b', storage).settings).toEqual(DEFAULT_SETTINGS);
  });

  it('refuses invalid settings in words and keeps what was saved', () => {
    const storage = memoryStorage();
    saveSettings('a', custom, storage);
    const bad: Partial<UserSettings>[] = [
      { relay: '/ip4/127.0.0.1/tcp/9090' },
      { iceServers: ['http://not-ice'] },
      { backend: 'gpu' },
      { domain: 'Not A Domain!' },
      { dutyCycle: 0 },
      { dutyCycle: 2 },
    ];
    for (const change of bad) {
      expect(() => saveSettings('a', { ...custom, ...change }, storage)).toThrow(
        /settings not saved/,
      );
    }
    expect(loadSettings('a', storage).settings).toEqual(custom);
  });

  it('drops damaged stored settings with a reason', () => {
    const storage = memoryStorage();
    storage.setItem('doin:a:settings', '{not json');
    expect(loadSettings('a', storage).problem).toMatch(/unreadable/);
    storage.setItem('doin:a:settings', JSON.stringify({ ...custom, dutyCycle: 'max' }));
    const loaded = loadSettings('a', storage);
    expect(loaded.settings).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problem).toMatch(/ignored/);
  });

  it('applies saved settings where the URL is silent, and the URL where it speaks', () => {
    const silent = withSettings(parseUrlOptions(''), custom, '');
    expect(silent).toMatchObject({
      relay: RELAY,
      iceServers: custom.iceServers,
      backend: 'wasm',
      domain: 'boston-housing',
      domainFixed: true,
    });
    const search = '?domain=quadratic-16&backend=cpu&ice=stun:other.example:1';
    const spoken = withSettings(parseUrlOptions(search), custom, search);
    expect(spoken).toMatchObject({
      relay: RELAY,
      iceServers: ['stun:other.example:1'],
      backend: 'cpu',
      domain: 'quadratic-16',
      domainFixed: true,
    });
    // Automatic domain choice stays automatic when neither names one.
    expect(withSettings(parseUrlOptions(''), DEFAULT_SETTINGS, '').domainFixed).toBe(false);
  });
});
