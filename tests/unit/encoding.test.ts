import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  concatBytes,
  decodeCanonical,
  EncodingError,
  encodeCanonical,
  equalBytes,
  hexToBytes,
  utf8ToBytes,
} from '../../src/core/encoding';
import { parse, TransferBodySchema, VoteBodySchema } from '../../src/core/schemas';

// ---- arbitraries ---------------------------------------------------------------------------

const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
/** Finite doubles with a canonical encoding: no -0, integral values only in the safe range. */
const finiteDouble = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((d) => !Object.is(d, -0) && (!Number.isInteger(d) || Number.isSafeInteger(d)));
const text = fc.string({ unit: 'binary', maxLength: 12 });

const leaf = fc.oneof(
  safeInt,
  finiteDouble,
  text,
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 16 }),
);

const { value: jsonLike } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

/** Rebuilds every nested object with its keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).reverse()) {
      Object.defineProperty(out, k, { value: reverseKeys(v), enumerable: true, writable: true });
    }
    return out;
  }
  return value;
}

const expectEncodingError = (f: () => unknown) => expect(f).toThrow(EncodingError);

/** CBOR head of major type `major` with argument `n` in a chosen width (0 = inline). */
function head(major: number, n: number, width: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const m = major << 5;
  if (width === 0) return Uint8Array.of(m | n);
  const info = { 1: 24, 2: 25, 4: 26, 8: 27 }[width];
  const out = new Uint8Array(1 + width);
  out[0] = m | info;
  let rest = BigInt(n);
  for (let i = width; i >= 1; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

const minimalWidth = (n: number): 0 | 1 | 2 | 4 | 8 =>
  n < 24 ? 0 : n < 256 ? 1 : n < 65_536 ? 2 : n < 2 ** 32 ? 4 : 8;

// ---- round trip and canonical form ---------------------------------------------------------

describe('encodeCanonical / decodeCanonical', () => {
  it('round-trips arbitrary JSON-like values, and decoding re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(jsonLike, (value) => {
        const bytes = encodeCanonical(value);
        const decoded = decodeCanonical(bytes);
        expect(decoded).toEqual(value);
        expect(bytesToHex(encodeCanonical(decoded))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same bytes whatever order object keys were inserted in', () => {
    const entries = fc.uniqueArray(fc.tuple(text, jsonLike), {
      selector: ([k]) => k,
      maxLength: 8,
    });
    fc.assert(
      fc.property(
        entries.chain((e) =>
          fc.tuple(
            fc.constant(e),
            fc.shuffledSubarray(e, { minLength: e.length, maxLength: e.length }),
          ),
        ),
        ([original, shuffled]) => {
          const build = (list: [string, unknown][]) => {
            const out: Record<string, unknown> = {};
            for (const [k, v] of list) {
              Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
            }
            return out;
          };
          expect(bytesToHex(encodeCanonical(build(shuffled)))).toBe(
            bytesToHex(encodeCanonical(build(original))),
          );
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(jsonLike, (value) => {
        expect(bytesToHex(encodeCanonical(reverseKeys(value)))).toBe(
          bytesToHex(encodeCanonical(value)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('sorts map keys bytewise by their encoding (shorter keys first), per RFC 8949 §4.2.1', () => {
    expect(bytesToHex(encodeCanonical({ aa: 1, b: 2 }))).toBe('a261620262616101');
    // Reference: flat maps of short ASCII keys with small integer values, assembled by hand.
    const key = fc.string({ unit: fc.constantFrom(...'abcdefghij0123_'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, fc.integer({ min: 0, max: 23 })), {
          selector: ([k]) => k,
          maxLength: 10,
        }),
        (entries) => {
          const sorted = [...entries].sort(([a], [b]) =>
            a.length !== b.length ? a.length - b.length : a < b ? -1 : 1,
          );
          const expected = concatBytes(
            Uint8Array.of(0xa0 | entries.length),
            ...sorted.map(([k, v]) =>
              concatBytes(head(3, k.length, 0), utf8ToBytes(k), head(0, v, 0)),
            ),
          );
          expect(bytesToHex(encodeCanonical(Object.fromEntries(entries)))).toBe(
            bytesToHex(expected),
          );
        },
      ),
    );
  });

  it('encodes known values in their shortest form', () => {
    const cases: [unknown, string][] = [
      [0, '00'],
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [-1, '20'],
      [-25, '3818'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [1.5, 'f93e00'],
      [0.1, 'fb3fb999999999999a'],
      ['a', '6161'],
      [new Uint8Array([1, 2]), '420102'],
      [[], '80'],
      [{}, 'a0'],
      [null, 'f6'],
      [true, 'f5'],
      [false, 'f4'],
    ];
    for (const [value, hex] of cases) {
      expect(bytesToHex(encodeCanonical(value)), String(value)).toBe(hex);
      expect(decodeCanonical(hexToBytes(hex))).toEqual(value);
    }
  });
});

// ---- decoding refuses non-canonical or foreign input ----------------------------------------

describe('decodeCanonical rejects', () => {
  it('integers written in a longer form than necessary (both signs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
        fc.boolean(),
        (n, neg) => {
          const major = neg ? 1 : 0;
          const value = neg ? -1 - n : n;
          const min = minimalWidth(n);
          expect(decodeCanonical(head(major, n, min))).toBe(value);
          for (const width of [1, 2, 4, 8] as const) {
            if (width <= min) continue;
            expectEncodingError(() => decodeCanonical(head(major, n, width)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('string, byte string, array and map lengths written in a longer form', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 23 }), (s) => {
        const bytes = utf8ToBytes(s);
        expect(decodeCanonical(concatBytes(head(3, bytes.length, 0), bytes))).toBe(s);
        expectEncodingError(() => decodeCanonical(concatBytes(head(3, bytes.length, 1), bytes)));
        expectEncodingError(() => decodeCanonical(concatBytes(head(2, bytes.length, 2), bytes)));
      }),
    );
    expectEncodingError(() => decodeCanonical(hexToBytes('98020102'))); // [1, 2], 1-byte length
    expectEncodingError(() => decodeCanonical(hexToBytes('b801616101'))); // {a: 1}, ditto
  });

  it('floats not in their shortest exact form, and integral values written as floats', () => {
    fc.assert(
      fc.property(
        finiteDouble.filter((d) => !Number.isInteger(d)),
        (d) => {
          const canonical = encodeCanonical(d);
          const as64 = new Uint8Array(9);
          as64[0] = 0xfb;
          new DataView(as64.buffer).setFloat64(1, d);
          if (canonical[0] !== 0xfb) expectEncodingError(() => decodeCanonical(as64));
          else expect(decodeCanonical(as64)).toBe(d);
          if (canonical[0] === 0xf9) {
            const as32 = new Uint8Array(5);
            as32[0] = 0xfa;
            new DataView(as32.buffer).setFloat32(1, d);
            expectEncodingError(() => decodeCanonical(as32));
          }
        },
      ),
      { numRuns: 300 },
    );
    expectEncodingError(() => decodeCanonical(hexToBytes('f93c00'))); // 1.0 as a half float
    expectEncodingError(() => decodeCanonical(hexToBytes('fb3ff8000000000000'))); // 1.5 as f64
  });

  it('values that encodeCanonical refuses (-0, unsafe integral floats, NaN, ±Infinity, undefined)', () => {
    for (const hex of [
      'f98000', // -0
      'fa5a000000', // 2^53 as a float32 (cborg would re-encode it identically)
      'fa5f800000', // 2^64
      'fb7e37e43c8800759c', // 1e300
      'fbfe37e43c8800759c', // -1e300
      '1b0020000000000000', // 2^53 as an integer
      '3b0020000000000000', // -2^53 - 1
      'f97e00', // NaN
      'f97c00', // Infinity
      'f9fc00', // -Infinity
      'f7', // undefined
      'f0', // simple value 16
      'c11a514b67b0', // tag 1 (epoch time)
      'a10102', // integer map key
      '61ff', // invalid UTF-8
    ]) {
      expectEncodingError(() => decodeCanonical(hexToBytes(hex)));
    }
  });

  it('unsorted or duplicate map keys, indefinite lengths, trailing bytes and truncation', () => {
    expectEncodingError(() => decodeCanonical(hexToBytes('a262616101616202'))); // {aa, b} order
    expectEncodingError(() => decodeCanonical(hexToBytes('a2616201616102'))); // {b, a}
    expectEncodingError(() => decodeCanonical(hexToBytes('a2616101616102'))); // duplicate "a"
    expectEncodingError(() => decodeCanonical(hexToBytes('9f0102ff'))); // indefinite array
    expectEncodingError(() => decodeCanonical(hexToBytes('bf616101ff'))); // indefinite map
    expectEncodingError(() => decodeCanonical(hexToBytes('7f61616162ff'))); // indefinite text
    expectEncodingError(() => decodeCanonical(hexToBytes('5f4101ff'))); // indefinite bytes
    expectEncodingError(() => decodeCanonical(new Uint8Array(0)));
    fc.assert(
      fc.property(jsonLike, fc.uint8Array({ minLength: 1, maxLength: 4 }), (value, garbage) => {
        const bytes = encodeCanonical(value);
        expectEncodingError(() => decodeCanonical(concatBytes(bytes, garbage)));
        if (bytes.length > 1) {
          expectEncodingError(() => decodeCanonical(bytes.slice(0, bytes.length - 1)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('anything else: every input either throws EncodingError or is its own canonical encoding', () => {
    const check = (bytes: Uint8Array) => {
      let value: unknown;
      try {
        value = decodeCanonical(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(EncodingError);
        return;
      }
      expect(equalBytes(encodeCanonical(value), bytes)).toBe(true);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), check), { numRuns: 500 });
    // Single-byte corruptions of valid encodings.
    fc.assert(
      fc.property(jsonLike, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, at, xor) => {
        const bytes = encodeCanonical(value).slice();
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ xor;
        check(bytes);
      }),
      { numRuns: 500 },
    );
  });
});

// ---- schemas admit only what can be encoded ------------------------------------------------

describe('wire schemas and the canonical encoding agree', () => {
  const anyNumber = fc.oneof(
    fc.double(),
    fc.constantFrom(-0, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE, 2 ** 64),
    safeInt,
  );
  // Any UTF-16 code unit, lone surrogates included.
  const anyText = fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 6,
  });

  it('a vote or transfer that passes its schema can always be hashed and signed', () => {
    const h = 'ab'.repeat(32);
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyText, (metric, amount, fee, memo) => {
        const vote = { commitId: h, paramsHash: h, evaluator: h, metric };
        if (parse(VoteBodySchema, vote).ok) expect(() => encodeCanonical(vote)).not.toThrow();
        const transfer = { type: 'transfer', from: h, to: h, amount, fee, nonce: 0, memo };
        if (parse(TransferBodySchema, transfer).ok) {
          expect(() => encodeCanonical(transfer)).not.toThrow();
        }
      }),
      { numRuns: 1_000 },
    );
    // The cases that used to slip through the schemas and then throw while hashing.
    const vote = { commitId: h, paramsHash: h, evaluator: h, metric: 0.5 };
    expect(parse(VoteBodySchema, vote).ok).toBe(true);
    expect(parse(VoteBodySchema, { ...vote, metric: -0 }).ok).toBe(false);
    expect(parse(VoteBodySchema, { ...vote, metric: 1e300 }).ok).toBe(false);
    const transfer = { type: 'transfer', from: h, to: h, amount: 1, fee: 0, nonce: 0, memo: '' };
    expect(parse(TransferBodySchema, transfer).ok).toBe(true);
    expect(parse(TransferBodySchema, { ...transfer, fee: -0 }).ok).toBe(false);
    expect(parse(TransferBodySchema, { ...transfer, memo: 'a\ud800' }).ok).toBe(false);
    expect(parse(TransferBodySchema, { ...transfer, memo: 'ok 😀' }).ok).toBe(true);
  });
});

// ---- encoding refuses what has no canonical form -------------------------------------------

class Point {
  constructor(
    readonly x = 1,
    readonly y = 2,
  ) {}
}

const unencodable: [string, unknown][] = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['undefined', undefined],
  ['-0', -0],
  ['2^53', 2 ** 53],
  ['-(2^53)', -(2 ** 53)],
  ['1e300', 1e300],
  ['bigint', 1n],
  ['symbol', Symbol('s')],
  ['function', () => 1],
  ['class instance', new Point()],
  ['Date', new Date(0)],
  ['Map', new Map([['a', 1]])],
  ['Set', new Set([1])],
  ['Uint16Array', new Uint16Array(2)],
  ['ArrayBuffer', new ArrayBuffer(2)],
  ['lone surrogate', '\ud800'],
  // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
  ['sparse array hole', [1, , 2]],
];

describe('encodeCanonical rejects', () => {
  it.each(unencodable)('%s, at the top level and nested', (_name, bad) => {
    expectEncodingError(() => encodeCanonical(bad));
    expectEncodingError(() => encodeCanonical([1, 'x', bad]));
    expectEncodingError(() => encodeCanonical({ a: { b: [bad] } }));
  });

  it('a lone surrogate in an object key', () => {
    expectEncodingError(() => encodeCanonical({ '\udc00': 1 }));
  });

  it('names the path of the offending value', () => {
    expect(() => encodeCanonical({ a: [1, Number.NaN] })).toThrow(/\$\.a\[1\]/);
    expect(() => encodeCanonical({ a: { b: undefined } })).toThrow(/\$\.a\.b/);
  });

  it('a bad value hidden anywhere in an otherwise valid tree', () => {
    const bad = fc.constantFrom(...unencodable.map(([, v]) => v));
    const { poisoned } = fc.letrec<{ poisoned: unknown }>((tie) => ({
      poisoned: fc.oneof(
        { depthSize: 'small' },
        bad,
        fc
          .tuple(fc.array(jsonLike, { maxLength: 3 }), tie('poisoned'), fc.nat())
          .map(([items, p, at]) => {
            const out = [...items];
            out.splice(at % (items.length + 1), 0, p);
            return out;
          }),
        fc
          .tuple(
            fc.dictionary(text, jsonLike, { maxKeys: 3, noNullPrototype: true }),
            text,
            tie('poisoned'),
          )
          .map(([obj, key, p]) => {
            const out = { ...obj };
            Object.defineProperty(out, key, { value: p, enumerable: true, writable: true });
            return out;
          }),
      ),
    }));
    fc.assert(
      fc.property(poisoned, (value) => {
        expectEncodingError(() => encodeCanonical(value));
      }),
      { numRuns: 300 },
    );
  });
});
