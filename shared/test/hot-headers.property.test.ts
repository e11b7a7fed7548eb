import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import {
  checkCreditHeader,
  checkRequestHeader,
  checkResponseHeader,
  CreditHeaderSchema,
  RequestHeaderSchema,
  ResponseHeaderSchema,
} from '../src/index.js';

/** What zod makes of `v`: its output, or undefined when it refuses it (the hand-written checks' contract). */
function zodOf<T>(schema: z.ZodType<T>, v: unknown): T | undefined {
  const parsed = schema.safeParse(v);
  return parsed.success ? parsed.data : undefined;
}

/** Strings around the limits and the refinements: empty, long, with spaces, dots, `#`, `?`, control bytes. */
const text = (max: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '',
      'a',
      'GET',
      'POST',
      'get',
      'CONNECT',
      'TRACE',
      '/',
      '/a/b',
      '/a/../b',
      '/%61',
      'a=1&b',
      'x#y',
    ),
    fc.constantFrom('?', '/a?b', ' ', '\n', 'é', '/a//b', 'M-SEARCH', 'central:admin'),
    fc.string({ maxLength: 12 }),
    { weight: 4, arbitrary: fc.integer({ min: max - 1, max: max + 1 }).map((n) => 'a'.repeat(n)) },
  );
const int = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(min - 1, min, max, max + 1, 0, -0, 1.5, 2 ** 53), fc.integer({ min, max }));
/** Any JSON value, or nothing (the key left out). */
const anything = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));
const validHeaders = fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), {
  maxLength: 4,
});
const headers = fc.oneof(
  fc.array(fc.tuple(text(1024), text(65_536)), { maxLength: 4 }),
  fc.array(fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })), {
    maxLength: 3,
  }),
  fc.integer({ min: 999, max: 1001 }).map((n) => Array.from({ length: n }, () => ['a', 'b'])),
  anything,
);
/** Mostly a typical valid value, sometimes one at or past a limit, sometimes any JSON or nothing. */
const field = <T>(typical: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 12, arbitrary: typical },
    { weight: 1, arbitrary: edge },
    { weight: 1, arbitrary: anything },
  );
const withExtra = (arb: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: arb },
    {
      weight: 1,
      arbitrary: fc.tuple(arb, fc.jsonValue({ maxDepth: 1 })).map(([h, x]) => ({ ...h, extra: x })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
/** Objects with the keys left out where the arbitrary drew undefined, as JSON.parse would give them. */
const json = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  arb.map((v) => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as unknown)));

describe('the hand-written header checks accept and return exactly what their zod schemas do', () => {
  it('REQUEST', () => {
    const request = fc.record({
      service: field(fc.string({ minLength: 1, maxLength: 20 }), text(128)),
      target: fc.oneof(fc.constant(undefined), field(fc.string({ maxLength: 30 }), text(2048))),
      method: field(fc.constantFrom('GET', 'POST', 'M-SEARCH'), text(32)),
      path: field(fc.constantFrom('/', '/a/b', '/echo'), text(8192)),
      query: field(fc.constantFrom('', 'a=1&b=2'), text(65_536)),
      headers: field(validHeaders, headers),
      timeoutMs: field(fc.integer({ min: 0, max: 86_400_000 }), int(0, 86_400_000)),
      caller: field(fc.string({ minLength: 1, maxLength: 20 }), text(200)),
      hops: field(fc.integer({ min: 0, max: 100 }), int(0, 100)),
      body: field(fc.boolean(), anything),
    });
    fc.assert(
      fc.property(json(withExtra(request)), (v) => {
        expect(checkRequestHeader(v)).toStrictEqual(zodOf(RequestHeaderSchema, v));
      }),
      { numRuns: 1000 },
    );
  });

  it('RESPONSE and CREDIT', () => {
    const response = fc.record({
      status: field(fc.integer({ min: 100, max: 999 }), int(100, 999)),
      headers: field(validHeaders, headers),
    });
    fc.assert(
      fc.property(json(withExtra(response)), (v) => {
        expect(checkResponseHeader(v)).toStrictEqual(zodOf(ResponseHeaderSchema, v));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        json(withExtra(fc.record({ n: field(fc.integer({ min: 1, max: 1_000_000 }), int(1, 1_000_000)) }))),
        (v) => {
          expect(checkCreditHeader(v)).toStrictEqual(zodOf(CreditHeaderSchema, v));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts the headers real calls carry', () => {
    const head = {
      service: 'echo',
      target: 'http://127.0.0.1:8080',
      method: 'POST',
      path: '/echo',
      query: 'a=1',
      headers: [['content-length', '256']],
      timeoutMs: 30_000,
      caller: 'central:admin',
      hops: 1,
      body: true,
    };
    expect(checkRequestHeader(head)).toStrictEqual(head);
    expect(checkResponseHeader({ status: 200, headers: [] })).toStrictEqual({ status: 200, headers: [] });
    expect(checkCreditHeader({ n: 4 })).toStrictEqual({ n: 4 });
  });
});
