/**
 * The user's saved settings (the app's Settings view), per profile in localStorage: relay,
 * STUN/TURN servers, backend override, domain and GPU share. URL parameters win over them for
 * one visit; the saved values are checked on load like any other input, and a bad one is
 * dropped with a reason instead of breaking the page.
 */
import * as v from 'valibot';
import { DomainIdSchema, parse } from '../core/schemas';
import { parseBackendRequest } from '../workers/computeProtocol';
import { relayProblem, type UrlOptions } from './urlOptions';

export interface UserSettings {
  /** A relay multiaddr; null: the relay that served the page. */
  readonly relay: string | null;
  /** stun:, turn: or turns: URLs for WebRTC. */
  readonly iceServers: readonly string[];
  /** 'auto' (measure) or a backend name. */
  readonly backend: string;
  /** The domain to work on; null: chosen by expected reward at each start. */
  readonly domain: string | null;
  /** The workers' share of time computing, in (0, 1]. */
  readonly dutyCycle: number;
}

export const DEFAULT_SETTINGS: UserSettings = {
  relay: null,
  iceServers: [],
  backend: 'auto',
  domain: null,
  dutyCycle: 1,
};

const IceUrlSchema = v.pipe(
  v.string(),
  v.regex(/^(stun|turns?):[^\s,]{1,200}$/, 'STUN/TURN servers are stun:, turn: or turns: URLs'),
);

const SettingsSchema = v.strictObject({
  relay: v.nullable(
    v.pipe(
      v.string(),
      v.maxLength(512),
      v.check((text) => relayProblem(text) === null, 'not a usable relay address'),
    ),
  ),
  iceServers: v.pipe(v.array(IceUrlSchema), v.maxLength(16)),
  backend: v.pipe(
    v.string(),
    v.check((name) => {
      try {
        parseBackendRequest(name);
        return true;
      } catch {
        return false;
      }
    }, 'not a known backend'),
  ),
  domain: v.nullable(DomainIdSchema),
  dutyCycle: v.pipe(v.number(), v.minValue(0.05), v.maxValue(1)),
});

const storageKey = (profile: string) => `doin:${profile}:settings`;

/** Why these settings cannot be saved, or null when they can. */
export function settingsProblem(settings: UserSettings): string | null {
  const checked = parse(SettingsSchema, settings);
  if (checked.ok) return null;
  if (settings.relay !== null && relayProblem(settings.relay)) {
    return `relay: ${relayProblem(settings.relay)}`;
  }
  return checked.error;
}

export interface LoadedSettings {
  readonly settings: UserSettings;
  /** Set when the saved settings were unreadable and the defaults are used. */
  readonly problem: string | null;
}

export function loadSettings(
  profile: string,
  storage: Storage | null = safeStorage(),
): LoadedSettings {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(storageKey(profile)) ?? null;
  } catch {
    return { settings: DEFAULT_SETTINGS, problem: null };
  }
  if (raw === null) return { settings: DEFAULT_SETTINGS, problem: null };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { settings: DEFAULT_SETTINGS, problem: 'saved settings were unreadable; defaults used' };
  }
  const checked = parse(SettingsSchema, json);
  if (!checked.ok) {
    return {
      settings: DEFAULT_SETTINGS,
      problem: `saved settings ignored (${checked.error}); defaults used`,
    };
  }
  return { settings: checked.value, problem: null };
}

/** Saves settings for the next page load; throws in words when they are invalid. */
export function saveSettings(
  profile: string,
  settings: UserSettings,
  storage: Storage | null = safeStorage(),
): void {
  const problem = settingsProblem(settings);
  if (problem) throw new Error(`settings not saved: ${problem}`);
  if (!storage) throw new Error('settings not saved: this browser keeps no local storage here');
  try {
    storage.setItem(storageKey(profile), JSON.stringify(settings));
  } catch (err) {
    throw new Error(
      `settings not saved: ${err instanceof Error ? err.message : String(err)} (storage full?)`,
    );
  }
}

/**
 * The options a page runs with: what the URL says, and the saved settings where the URL is
 * silent. `search` tells which parameters the URL actually gave.
 */
export function withSettings(url: UrlOptions, settings: UserSettings, search: string): UrlOptions {
  const given = new URLSearchParams(search);
  const domainFromSettings = !url.domainFixed && settings.domain !== null;
  return {
    ...url,
    relay: url.relay ?? (given.has('relay') ? null : settings.relay),
    iceServers: given.has('ice') ? url.iceServers : [...settings.iceServers],
    backend: given.has('backend') ? url.backend : settings.backend,
    domain: domainFromSettings ? (settings.domain as string) : url.domain,
    domainFixed: url.domainFixed || domainFromSettings,
  };
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // some privacy modes throw on access
  }
}
