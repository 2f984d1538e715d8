/**
 * The page's URL parameters (DESIGN.md automation surface), validated: a bad value is reported
 * in words and ignored, never half-applied.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { DomainIdSchema, parse } from '../core/schemas';
import { parseBackendRequest } from '../workers/computeProtocol';

export interface UrlOptions {
  /** Domain to train (`?domain=`); the default is the forecasting domain. */
  readonly domain: string;
  /** True when `?domain=` named it; otherwise a network page picks by expected reward. */
  readonly domainFixed: boolean;
  /** `?backend=`: auto (measure) or a backend name. */
  readonly backend: string;
  readonly autostart: boolean;
  /** `?relay=<multiaddr>`; null: the relay that served the page (its /status). */
  readonly relay: string | null;
  /** `?profile=<name>`: separate identity, peers and (issue 6) database per name. */
  readonly profile: string;
  /** `?ice=stun:…,turn:…`: STUN/TURN servers for WebRTC (none by default: same host or LAN). */
  readonly iceServers: readonly string[];
  /** `?steps=N`: optimize steps per candidate (default: the node's, 4,000). */
  readonly steps: number | null;
  /** `?debug=1`: exposes `window.doinDebug` (raw gossip, chain import) for tests and tinkering. */
  readonly debug: boolean;
  /** Problems found in the URL, for the user. */
  readonly errors: readonly string[];
}

export const DEFAULT_TRAINING_DOMAIN = 'mackey-glass';

export function parseUrlOptions(search: string): UrlOptions {
  const query = new URLSearchParams(search);
  const errors: string[] = [];
  let domain = DEFAULT_TRAINING_DOMAIN;
  let domainFixed = false;
  const domainParam = query.get('domain');
  if (domainParam !== null) {
    const checked = parse(DomainIdSchema, domainParam);
    if (checked.ok) {
      domain = checked.value;
      domainFixed = true;
    } else errors.push(`?domain=${domainParam} ignored: ${checked.error}`);
  }
  let backend = 'auto';
  const backendParam = query.get('backend');
  if (backendParam !== null) {
    try {
      backend = parseBackendRequest(backendParam);
    } catch (err) {
      errors.push(`?backend=${backendParam} ignored: ${(err as Error).message}`);
    }
  }
  const autostart = query.get('autostart') === '1';

  let relay: string | null = null;
  const relayParam = query.get('relay');
  if (relayParam !== null) {
    const problem = relayProblem(relayParam);
    if (problem) errors.push(`?relay=${relayParam} ignored: ${problem}`);
    else relay = relayParam;
  }

  let profile = 'default';
  const profileParam = query.get('profile');
  if (profileParam !== null) {
    if (/^[A-Za-z0-9_-]{1,32}$/.test(profileParam)) profile = profileParam;
    else errors.push(`?profile=${profileParam} ignored: use 1-32 letters, digits, - or _`);
  }

  const iceServers: string[] = [];
  const iceParam = query.get('ice');
  if (iceParam !== null) {
    for (const url of iceParam.split(',').filter(Boolean)) {
      if (/^(stun|turns?):[^\s,]{1,200}$/.test(url)) iceServers.push(url);
      else errors.push(`?ice= entry ${url} ignored: expected stun:, turn: or turns: URLs`);
    }
  }

  let steps: number | null = null;
  const stepsParam = query.get('steps');
  if (stepsParam !== null) {
    const n = Number(stepsParam);
    if (/^[0-9]{1,6}$/.test(stepsParam) && n >= 1 && n <= 100_000) steps = n;
    else errors.push(`?steps=${stepsParam} ignored: a whole number from 1 to 100000`);
  }

  const debug = query.get('debug') === '1';
  return {
    domain,
    domainFixed,
    backend,
    autostart,
    relay,
    profile,
    iceServers,
    steps,
    debug,
    errors,
  };
}

/** Why a relay multiaddr cannot be used, or null when it can. */
export function relayProblem(text: string): string | null {
  try {
    const addr = multiaddr(text);
    const names = addr.getComponents().map((c) => c.name);
    if (!names.includes('p2p')) return 'the address must end in /p2p/<relay peer id>';
    if (!names.includes('ws') && !names.includes('wss')) {
      return 'browsers reach the relay over WebSockets: the address needs /ws or /wss';
    }
    return null;
  } catch (err) {
    return `not a multiaddr (${err instanceof Error ? err.message : String(err)})`;
  }
}
