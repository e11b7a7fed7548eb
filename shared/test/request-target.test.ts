import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestTarget, RequestTargetError } from '../src/index.js';

describe('parseRequestTarget', () => {
  it.each([
    ['/api/v1/agents', '/api/v1/agents', ['api', 'v1', 'agents'], ''],
    ['/%61pi/v1/%74okens', '/api/v1/tokens', ['api', 'v1', 'tokens'], ''],
    ['/api/v1/agents/a%20b?x=1', '/api/v1/agents/a%20b', ['api', 'v1', 'agents', 'a b'], 'x=1'],
    ['/call/svc/%c3%a9t%C3%A9/', '/call/svc/%C3%A9t%C3%A9/', ['call', 'svc', 'été', ''], ''],
    ['/', '/', [''], ''],
    ['/x;y=1/z', '/x;y=1/z', ['x;y=1', 'z'], ''],
    ['/%7e.a/%2525', '/~.a/%2525', ['~.a', '%25'], ''],
    ['/a?b/../c', '/a', ['a'], 'b/../c'],
  ])('%s is %s', (raw, path, segments, query) => {
    const t = parseRequestTarget(raw);
    expect(t).toEqual({ path, segments, query, url: query ? `${path}?${query}` : path });
  });

  it.each([
    ['http://evil/api/v1/tokens', 'starting with'],
    ['*', 'starting with'],
    ['', 'starting with'],
    ['/call/svc/../../x', 'dot segment'],
    ['/call/svc/%2e%2e/%2E%2e/x', 'dot segment'],
    ['/call/svc/.%2E/x', 'dot segment'],
    ['/call/svc/./x', 'dot segment'],
    ['/call/svc/..;jsessionid=1/x', 'dot segment'],
    ['/api/v1/%2e', 'dot segment'],
    ['/call/svc/a%2Fb', "encoded '/'"],
    ['/call/svc/a%2fb', "encoded '/'"],
    ['/call/svc\\..\\x', "'\\'"],
    ['/call/svc/a%5cb', "'\\'"],
    ['/call/svc/a%00b', 'control byte'],
    ['/call/svc/a%0Ab', 'control byte'],
    ['/call/svc/a\u0000b', 'control byte'],
    ['/call/svc/a b', "' '"],
    ['/call/svc/é', 'non-ASCII'],
    ['/call/svc/%zz', "'%' not followed"],
    ['/call/svc/%4', "'%' not followed"],
    ['/call/svc/%c0%ae%c0%ae/x', 'UTF-8'],
    ['/api//v1/tokens', 'empty segment'],
    ['//api/v1/tokens', 'empty segment'],
    ['/api/v1/tokens#x', "'#'"],
    ['/call/svc/%252e%252e/x', 'double-encoded'],
    ['/call/svc/a%252Fb', 'double-encoded'],
    ['/call/svc/%255c', 'double-encoded'],
    ['/call/svc/..%3B/x', 'dot segment'],
    ['/a?b c', 'query'],
    ['/a?b#c', 'query'],
  ])('refuses %j (%s)', (raw, why) => {
    expect(() => parseRequestTarget(raw)).toThrow(RequestTargetError);
    expect(() => parseRequestTarget(raw)).toThrow(why);
  });

  // Raw targets built from the pieces attacks are made of: dots, slashes, escapes of any case, backslashes,
  // semicolons, unicode and control bytes.
  const piece = fc.constantFrom(
    '/',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2f',
    '%2F',
    '%5c',
    '\\',
    ';',
    '%3b',
    '%25',
    '%',
    'a',
    'A',
    '%61',
    '%41',
    'api',
    'call',
    'v1',
    'tokens',
    '~',
    '%7E',
    '%00',
    '%20',
    ' ',
    'é',
    '%C3%A9',
    '%c0%ae',
    '?',
    '#',
    '&',
    '=',
  );
  const rawTarget = fc.array(piece, { maxLength: 16 }).map((parts) => `/${parts.join('')}`);

  it('a target it accepts is a fixpoint of itself and of the WHATWG URL parser, with no dot segment', () => {
    fc.assert(
      fc.property(rawTarget, (raw) => {
        let t;
        try {
          t = parseRequestTarget(raw);
        } catch (err) {
          expect(err).toBeInstanceOf(RequestTargetError);
          return;
        }
        expect(parseRequestTarget(t.url)).toEqual(t);
        const url = new URL(t.url, 'http://localhost');
        expect(url.pathname).toBe(t.path);
        for (const segment of t.segments) {
          expect(segment === '.' || segment === '..').toBe(false);
          expect(
            [...segment].some(
              (ch) => ch === '/' || ch === '\\' || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f,
            ),
          ).toBe(false);
        }
        expect(
          t.path
            .split('/')
            .slice(1)
            .map((s) => decodeURIComponent(s)),
        ).toEqual(t.segments);
      }),
      { numRuns: 5000 },
    );
  });

  it('two spellings of one path that it accepts have one canonical form', () => {
    const encodeSome = (text: string, mask: boolean[]): string =>
      [...text]
        .map((ch, i) =>
          mask[i % mask.length] ? `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}` : ch,
        )
        .join('');
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9_~-]{1,12}$/),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        (name, mask) => {
          const plain = parseRequestTarget(`/api/${name}`);
          const encoded = parseRequestTarget(`/api/${encodeSome(name, mask)}`);
          expect(encoded.path).toBe(plain.path);
        },
      ),
    );
  });

  it('a segment without escapes (the fast path) decodes as the same segment spelt with escapes', () => {
    const encodeSome = (text: string, mask: boolean[]): string =>
      [...text].map((ch, i) => (mask[i % mask.length] ? `%${ch.charCodeAt(0).toString(16)}` : ch)).join('');
    const attempt = (raw: string): string[] | string => {
      try {
        return parseRequestTarget(raw).segments;
      } catch (err) {
        return (err as Error).message;
      }
    };
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z0-9_~.!$&'()*+,;=:@-]{1,12}$/),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        (name, mask) => {
          const plain = attempt(`/x/${name}`);
          const encoded = attempt(`/x/${encodeSome(name, mask)}`);
          if (typeof plain === 'string') expect(plain).toMatch(/dot segment/);
          else expect(plain).toEqual(['x', name]);
          expect(encoded).toEqual(plain);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
