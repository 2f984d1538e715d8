/**
 * Hash routes (the app is static files, so the path stays `/` and the hash names the view):
 * `#/`, `#/explorer`, `#/explorer?before=<height>`, `#/explorer/block/<hash or height>`,
 * `#/explorer/account/<id>`, `#/models`, `#/models/<domain>`, `#/wallet`, `#/settings`.
 */
import { useSyncExternalStore } from 'react';

export type Route =
  | { view: 'home' }
  | { view: 'explorer'; before: number | null }
  | { view: 'block'; id: string }
  | { view: 'account'; id: string }
  | { view: 'models'; domainId: string | null }
  | { view: 'wallet' }
  | { view: 'settings' }
  | { view: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const parts = pathPart
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const query = new URLSearchParams(queryPart);
  const [first, second, third] = parts;
  if (first === undefined) return { view: 'home' };
  if (first === 'explorer') {
    if (second === undefined) {
      const before = Number(query.get('before'));
      return {
        view: 'explorer',
        before: query.has('before') && Number.isSafeInteger(before) && before > 0 ? before : null,
      };
    }
    if (second === 'block' && third) return { view: 'block', id: third };
    if (second === 'account' && third) return { view: 'account', id: third };
  }
  if (first === 'models') return { view: 'models', domainId: second ?? null };
  if (first === 'wallet' && second === undefined) return { view: 'wallet' };
  if (first === 'settings' && second === undefined) return { view: 'settings' };
  return { view: 'not-found', path: pathPart };
}

export const href = {
  home: () => '#/',
  explorer: (before?: number) => (before ? `#/explorer?before=${before}` : '#/explorer'),
  block: (id: string | number) => `#/explorer/block/${encodeURIComponent(String(id))}`,
  account: (id: string) => `#/explorer/account/${encodeURIComponent(id)}`,
  models: (domainId?: string) =>
    domainId ? `#/models/${encodeURIComponent(domainId)}` : '#/models',
  wallet: () => '#/wallet',
  settings: () => '#/settings',
};

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => location.hash);
  return parseRoute(hash);
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}
