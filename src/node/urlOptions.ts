/**
 * The page's URL parameters (DESIGN.md automation surface), validated: a bad value is reported
 * in words and ignored, never half-applied.
 */
import { DomainIdSchema, parse } from '../core/schemas';
import { parseBackendRequest } from '../workers/computeProtocol';

export interface UrlOptions {
  /** Domain to train (`?domain=`); the default is the forecasting domain. */
  readonly domain: string;
  /** `?backend=`: auto (measure) or a backend name. */
  readonly backend: string;
  readonly autostart: boolean;
  /** Problems found in the URL, for the user. */
  readonly errors: readonly string[];
}

export const DEFAULT_TRAINING_DOMAIN = 'mackey-glass';

export function parseUrlOptions(search: string): UrlOptions {
  const query = new URLSearchParams(search);
  const errors: string[] = [];
  let domain = DEFAULT_TRAINING_DOMAIN;
  const domainParam = query.get('domain');
  if (domainParam !== null) {
    const checked = parse(DomainIdSchema, domainParam);
    if (checked.ok) domain = checked.value;
    else errors.push(`?domain=${domainParam} ignored: ${checked.error}`);
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
  return { domain, backend, autostart, errors };
}
