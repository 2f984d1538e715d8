/** Small formatting helpers shared by the views (no React here). */

/** Base units per coin: the ledger counts integers (1 DOIN = 100,000,000). */
export const COIN = 100_000_000;

/** A base-unit amount as DOIN with up to 8 decimals, trailing zeros kept to 2 ("12.50 DOIN"). */
export function formatDoin(baseUnits: number, unit = true): string {
  const negative = baseUnits < 0;
  const abs = Math.abs(Math.trunc(baseUnits));
  const whole = Math.floor(abs / COIN);
  let frac = String(abs % COIN).padStart(8, '0');
  frac = frac.replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  const text = `${negative ? '−' : ''}${whole.toLocaleString('en-US')}.${frac}`;
  return unit ? `${text} DOIN` : text;
}

/**
 * Parses a DOIN amount typed by a person ("1", "0.5", "12.00000001") into base units, exactly
 * (no floating point). Throws in words when it is not an amount.
 */
export function parseDoin(text: string): number {
  const trimmed = text.trim().replace(/,/g, '');
  const match = /^(\d{0,12})(?:\.(\d{0,8}))?$/.exec(trimmed);
  if (!match || trimmed === '' || trimmed === '.') {
    if (/\.\d{9,}$/.test(trimmed))
      throw new Error('at most 8 decimals (1e-8 DOIN is one base unit)');
    throw new Error('write an amount like 1.5');
  }
  const whole = Number(match[1] || '0');
  const frac = Number((match[2] ?? '').padEnd(8, '0'));
  const units = whole * COIN + frac;
  if (!Number.isSafeInteger(units)) throw new Error('that amount is too large');
  return units;
}

/** A metric for people: 4 significant digits, exponent form when tiny or huge. */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
}

/** An axis tick: short ("1e-4", "0.25", "1000"). */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(0).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

/** "abcd…wxyz" for long hashes and ids; the full text belongs in a title attribute. */
export function shortId(id: string, head = 8, tail = 6): string {
  if (id.length <= head + tail + 1) return id;
  return `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** "5 s", "3 min", "2 h" ago: coarse and readable. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

export function formatTime(timestamp: number): string {
  return new Date(timestamp).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

export function formatInteger(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/**
 * The explorer, models and wallet read the node's chain; a local-simulation page has none and
 * its methods reject. This says so in words instead of showing the raw rejection.
 */
export function friendlyNodeError(err: unknown, mode: string | undefined): string {
  const text = errorText(err);
  if (mode === 'local-simulation') {
    return 'This page runs the local simulation (no relay was found), which keeps no chain to browse. Open the page from a relay (npm start) to see the network’s chain, models and wallet.';
  }
  if (/is not a function|not implemented/i.test(text)) {
    return `This node cannot do that yet (${text}).`;
  }
  return text;
}
