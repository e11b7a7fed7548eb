import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advertRefusal,
  advertRefusalMessage,
  AdvertiseStrategySchema,
  type AdvertiseStrategy,
} from '@tether/shared';

const strategies = AdvertiseStrategySchema.options;

describe('advertRefusal (table)', () => {
  it.each<[AdvertiseStrategy | null, AdvertiseStrategy | null, string | undefined]>([
    [null, 'local', undefined],
    [null, 'best', undefined],
    [null, 'all', undefined],
    [null, null, undefined],
    [null, 'none', 'declared-none'],
    ['none', 'local', 'fixed-none'],
    ['none', 'all', 'fixed-none'],
    ['none', 'none', 'fixed-none'],
    ['none', null, 'fixed-none'],
    ['local', 'local', undefined],
    ['local', 'all', undefined],
    ['local', 'none', 'declared-none'],
  ])('fixed %s, declared %s -> %s', (fixed, declared, expected) => {
    expect(advertRefusal(fixed, declared)).toBe(expected);
  });

  it('refuses exactly when the hub fixed none or the agent declares none, whatever else it says', () => {
    const strategy = fc.option(fc.constantFrom(...strategies), { nil: undefined });
    fc.assert(
      fc.property(strategy, strategy, (fixed, declared) => {
        const refused = advertRefusal(fixed, declared) !== undefined;
        expect(refused).toBe(fixed === 'none' || declared === 'none');
        if (fixed === 'none') expect(advertRefusal(fixed, declared)).toBe('fixed-none');
      }),
    );
  });

  it('says what was wrong and what to do', () => {
    expect(advertRefusalMessage('fixed-none', 2)).toMatch(
      /fixed this agent's strategy to "none".*2 .*--strategy none/,
    );
    expect(advertRefusalMessage('declared-none', 1)).toMatch(/declares strategy "none" but advertised 1/);
  });
});
