/**
 * A user's own data, to train on without sharing it: a CSV file dropped into the page is read and
 * parsed inside a worker (parseCsv), mapped onto a domain's training input (fromTable), and the
 * domain trains on it (optimizeOnLocalData). Evaluation, and therefore the optimizer's claim and
 * every vote, stays on the domain's seeded public data; only the resulting parameters leave the
 * browser. Pure JS apart from the domains' own tfjs code: no DOM, usable in workers and Node.
 */
import type { OptimizeBudget, OptimizeResult } from '../core/domain';
import { BOSTON_FEATURES, type BostonTrainingData, bostonHousingDomain } from './bostonHousing';
import { MACKEY_GLASS, type MackeyGlassTrainingData, mackeyGlassDomain } from './mackeyGlass';

/** A numeric matrix, row-major: `data[row * cols + col]`. */
export interface Float32Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

export interface NumericTable {
  /** Column names from the header row, or column1 … columnN when the file has no header. */
  readonly columns: readonly string[];
  readonly rows: Float32Matrix;
}

export interface CsvLimits {
  /** Largest accepted input, in UTF-8 bytes (default 32 MiB). */
  readonly maxBytes?: number;
  /** Most data rows accepted, header excluded (default 500,000). */
  readonly maxRows?: number;
  /** Most columns accepted (default 1,000). */
  readonly maxColumns?: number;
}

export const CSV_DEFAULT_LIMITS = {
  maxBytes: 32 * 1024 * 1024,
  maxRows: 500_000,
  maxColumns: 1_000,
} as const;

/** Everything wrong with a CSV file is reported as a CsvError with a line number when it has one. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'CsvError';
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function utf8Length(text: string, stopAbove: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stopAbove; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function detectDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t']) {
    const count = first.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/**
 * RFC 4180 records: fields separated by the delimiter, records by LF or CRLF, fields optionally
 * double-quoted ("" inside quotes is a quote). Blank lines are skipped. Yields each record with
 * the line it starts on.
 */
function* records(text: string, delimiter: string): Generator<{ line: number; cells: string[] }> {
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i >= n) {
        if (quoted) throw new CsvError('unterminated quoted field', startLine);
        cells.push(cell);
        break;
      }
      const ch = text[i] as string;
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const after = text[i];
            if (after !== undefined && after !== delimiter && after !== '\n' && after !== '\r') {
              throw new CsvError('unexpected character after a closing quote', line);
            }
          }
        } else {
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
      } else if (ch === '"') {
        if (cell.trim() !== '') throw new CsvError('unexpected quote inside a field', line);
        quoted = true;
        cell = '';
        i++;
      } else if (ch === delimiter) {
        cells.push(cell);
        cell = '';
        i++;
      } else if (ch === '\n' || ch === '\r') {
        cells.push(cell);
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      } else {
        cell += ch;
        i++;
      }
    }
    if (cells.length === 1 && (cells[0] as string).trim() === '') continue; // blank line
    yield { line: startLine, cells };
  }
}

function parseNumber(cell: string, line: number, column: string): number {
  const trimmed = cell.trim();
  if (trimmed === '') throw new CsvError(`empty cell in column "${column}"`, line);
  if (!NUMBER.test(trimmed)) {
    const shown = trimmed.length > 24 ? `${trimmed.slice(0, 24)}…` : trimmed;
    throw new CsvError(`"${shown}" in column "${column}" is not a number`, line);
  }
  const value = Math.fround(Number(trimmed));
  if (!Number.isFinite(value)) {
    throw new CsvError(`${trimmed} in column "${column}" is outside the float32 range`, line);
  }
  return value;
}

/**
 * Parses a numeric CSV file. The delimiter (comma, semicolon or tab) is the one the first line
 * uses most; the first record is a header unless all its cells are numbers. Every data row must
 * have one finite number per column. Throws CsvError for anything else: empty input, a file
 * larger than maxBytes or with more than maxRows rows or maxColumns columns, ragged rows, empty or non-numeric cells,
 * duplicate or empty column names, unterminated quotes.
 */
export function parseCsv(text: string, limits: CsvLimits = {}): NumericTable {
  if (typeof text !== 'string') throw new CsvError('expected the CSV file as text');
  const maxBytes = limits.maxBytes ?? CSV_DEFAULT_LIMITS.maxBytes;
  const maxRows = limits.maxRows ?? CSV_DEFAULT_LIMITS.maxRows;
  if (text.length > maxBytes || utf8Length(text, maxBytes) > maxBytes) {
    throw new CsvError(`the file is larger than the limit of ${maxBytes} bytes`);
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') throw new CsvError('the file is empty');

  const iterator = records(body, detectDelimiter(body));
  const first = iterator.next();
  if (first.done) throw new CsvError('the file is empty');
  const head = first.value;
  const hasHeader = !head.cells.every((cell) => NUMBER.test(cell.trim()));
  const cols = head.cells.length;
  const maxColumns = limits.maxColumns ?? CSV_DEFAULT_LIMITS.maxColumns;
  if (cols > maxColumns) {
    throw new CsvError(`${cols} columns: more than the limit of ${maxColumns}`, head.line);
  }
  const columns = hasHeader
    ? head.cells.map((cell) => cell.trim())
    : head.cells.map((_, i) => `column${i + 1}`);
  if (hasHeader) {
    const seen = new Set<string>();
    columns.forEach((name, i) => {
      if (name === '') throw new CsvError(`column ${i + 1} has no name`, head.line);
      if (seen.has(name)) throw new CsvError(`duplicate column name "${name}"`, head.line);
      seen.add(name);
    });
  }

  let capacity = Math.max(1, Math.min(1024, maxRows));
  let data = new Float32Array(capacity * cols);
  let rows = 0;
  const addRow = (record: { line: number; cells: string[] }) => {
    if (record.cells.length !== cols) {
      throw new CsvError(
        `expected ${cols} cells like the first row, got ${record.cells.length} (ragged rows)`,
        record.line,
      );
    }
    if (rows >= maxRows)
      throw new CsvError(`more than the limit of ${maxRows} data rows`, record.line);
    if (rows === capacity) {
      capacity *= 2;
      const grown = new Float32Array(capacity * cols);
      grown.set(data);
      data = grown;
    }
    record.cells.forEach((cell, c) => {
      data[rows * cols + c] = parseNumber(cell, record.line, columns[c] as string);
    });
    rows++;
  };
  if (!hasHeader) addRow(head);
  for (const record of iterator) addRow(record);
  if (rows === 0) throw new CsvError('the file has a header but no data rows');
  return { columns, rows: { rows, cols, data: data.slice(0, rows * cols) } };
}

/** One column of a table, by name (case-insensitive), as a Float32Array. */
export function tableColumn(table: NumericTable, name: string): Float32Array {
  const wanted = name.toLowerCase();
  const index = table.columns.findIndex((column) => column.toLowerCase() === wanted);
  if (index < 0) throw new CsvError(`the file has no column "${name}"`);
  const { rows, cols, data } = table.rows;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * cols + index] as number;
  return out;
}

/** Maps a parsed table onto one domain's training input, and trains that domain on it. */
export interface LocalTrainingAdapter<Data> {
  readonly domainId: string;
  /** What the file must contain, for the page to show. */
  readonly expects: string;
  fromTable(table: NumericTable, options?: { readonly column?: string }): Data;
  optimizeOn(best: Float32Array, budget: OptimizeBudget, data: Data): Promise<OptimizeResult>;
}

/** boston-housing: the 13 feature columns and medv, found by header name (any order, any case). */
export const bostonHousingLocal: LocalTrainingAdapter<BostonTrainingData> = {
  domainId: bostonHousingDomain.descriptor.id,
  expects: `a header and the columns ${[...BOSTON_FEATURES, 'medv'].join(', ')} (others are ignored)`,
  fromTable(table) {
    const missing = [...BOSTON_FEATURES, 'medv'].filter(
      (name) => !table.columns.some((column) => column.toLowerCase() === name),
    );
    if (missing.length > 0) {
      throw new CsvError(`boston-housing needs the columns ${missing.join(', ')}`);
    }
    const featureColumns = BOSTON_FEATURES.map((name) => tableColumn(table, name));
    const rows = table.rows.rows;
    const features = new Float32Array(rows * BOSTON_FEATURES.length);
    for (let r = 0; r < rows; r++) {
      featureColumns.forEach((column, f) => {
        features[r * BOSTON_FEATURES.length + f] = column[r] as number;
      });
    }
    return { features, medv: tableColumn(table, 'medv') };
  },
  optimizeOn: (best, budget, data) => bostonHousingDomain.optimizeOn(best, budget, data),
};

/**
 * mackey-glass: one numeric column read as a series in the domain's raw units (the public series
 * lives in about [0.4, 1.35]); `options.column` names it, else the table must have exactly one.
 */
export const mackeyGlassLocal: LocalTrainingAdapter<MackeyGlassTrainingData> = {
  domainId: mackeyGlassDomain.descriptor.id,
  expects: `one numeric column (a series of at least ${MACKEY_GLASS.window + 1} values)`,
  fromTable(table, options) {
    let series: Float32Array;
    if (options?.column !== undefined) series = tableColumn(table, options.column);
    else if (table.columns.length === 1) series = tableColumn(table, table.columns[0] as string);
    else {
      throw new CsvError(
        `mackey-glass reads one column; the file has ${table.columns.length}: name the one to use`,
      );
    }
    if (series.length < MACKEY_GLASS.window + 1) {
      throw new CsvError(
        `mackey-glass needs a series of at least ${MACKEY_GLASS.window + 1} values`,
      );
    }
    return { series: [series] };
  },
  optimizeOn: (best, budget, data) => mackeyGlassDomain.optimizeOn(best, budget, data),
};

const adapters: ReadonlyMap<string, LocalTrainingAdapter<unknown>> = new Map(
  [bostonHousingLocal, mackeyGlassLocal].map((adapter) => [
    adapter.domainId,
    adapter as LocalTrainingAdapter<unknown>,
  ]),
);

export function localTrainingAdapter(domainId: string): LocalTrainingAdapter<unknown> | undefined {
  return adapters.get(domainId);
}

/**
 * The whole local path for a worker: map the table onto the domain and train on it. Throws
 * CsvError when the table does not fit the domain, Error when the domain takes no local data.
 */
export async function optimizeOnLocalData(
  domainId: string,
  best: Float32Array,
  budget: OptimizeBudget,
  table: NumericTable,
  options?: { readonly column?: string },
): Promise<OptimizeResult> {
  const adapter = localTrainingAdapter(domainId);
  if (!adapter) throw new Error(`domain ${domainId} does not train on local data`);
  return adapter.optimizeOn(best, budget, adapter.fromTable(table, options));
}
