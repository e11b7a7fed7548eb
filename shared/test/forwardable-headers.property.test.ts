import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardableHeaders, forwardableList, type HeaderList } from '@tether/shared';

/** Header names drawn to hit every rule: hop-by-hop, proxy-*, Tether's own, listed in Connection, and plain ones. */
const name = fc.constantFrom(
  'Connection',
  'connection',
  'Keep-Alive',
  'Transfer-Encoding',
  'Host',
  'TE',
  'Proxy-Authorization',
  'proxy-x',
  'X-Tether-Caller',
  'x-tether-hops',
  'X-Tether-Timeout',
  'Content-Type',
  'X-Custom',
  'x-custom',
  'Authorization',
);
const value = fc.oneof(
  fc.constantFrom('close', 'keep-alive, X-Custom', ' x-custom ,Content-Type', 'upgrade', ''),
  fc.string({ maxLength: 12 }),
);
const list: fc.Arbitrary<HeaderList> = fc.array(fc.tuple(name, value), { maxLength: 12 });

describe('forwardableList', () => {
  it('keeps exactly what forwardableHeaders keeps of the same headers, in order, sharing the pairs', () => {
    fc.assert(
      fc.property(list, (headers) => {
        const kept = forwardableList(headers);
        expect(kept).toEqual(forwardableHeaders(headers.flat()));
        for (const pair of kept) expect(headers).toContain(pair);
      }),
      { numRuns: 500 },
    );
  });

  it('drops the names a Connection header lists, hop-by-hop, proxy-* and Tether headers (examples)', () => {
    const headers: HeaderList = [
      ['Connection', 'keep-alive, X-Custom'],
      ['X-Custom', 'a'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Authorization', 'b'],
      ['X-Tether-Caller', 'forged'],
      ['Content-Type', 'text/plain'],
    ];
    expect(forwardableList(headers)).toEqual([['Content-Type', 'text/plain']]);
  });
});
