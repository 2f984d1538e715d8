import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_DOMAIN, parseUrlOptions } from '../../src/node/urlOptions';

describe('page URL options', () => {
  it('defaults: forecasting domain, measured backend, no autostart', () => {
    expect(parseUrlOptions('')).toEqual({
      domain: DEFAULT_TRAINING_DOMAIN,
      backend: 'auto',
      autostart: false,
      errors: [],
    });
  });

  it('accepts valid values', () => {
    expect(parseUrlOptions('?domain=boston-housing&backend=wasm&autostart=1')).toEqual({
      domain: 'boston-housing',
      backend: 'wasm',
      autostart: true,
      errors: [],
    });
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
