import { describe, expect, it } from 'vitest';
import { parseDuration, parseKeyValue, parseKeyValues, parseRate, ValidationError } from '@tether/shared';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1500', 1_500],
    ['0', 0],
    ['1.5s', 1_500],
    [' 10 s ', 10_000],
    ['0.5ms', 1],
    [0, 0],
    [42, 42],
  ])('%j -> %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each<string | number>([
    '',
    ' ',
    'abc',
    '-5s',
    '5x',
    '5 mins',
    's',
    '1e3',
    '5s5',
    '.5s',
    '1,5s',
    '5S',
    -1,
    NaN,
    Infinity,
  ])('rejects %j with a ValidationError', (input) => {
    expect(() => parseDuration(input)).toThrow(ValidationError);
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
});

describe('parseKeyValue', () => {
  it.each<[string, [string, string]]>([
    ['env=prod', ['env', 'prod']],
    ['k=', ['k', '']],
    ['url=http://x/?a=b', ['url', 'http://x/?a=b']],
    ['a b=c d', ['a b', 'c d']],
  ])('%j -> %j', (input, expected) => {
    expect(parseKeyValue(input)).toEqual(expected);
  });

  it.each(['', 'novalue', '=value', '='])('rejects %j, naming what was parsed', (input) => {
    expect(() => parseKeyValue(input, 'label')).toThrow(ValidationError);
    expect(() => parseKeyValue(input, 'label')).toThrow(/invalid label/);
  });
});

describe('parseKeyValues', () => {
  it('builds an object, later keys winning', () => {
    expect(parseKeyValues(['a=1', 'b=2', 'a=3'])).toEqual({ a: '3', b: '2' });
  });

  it('returns an empty object for no items', () => {
    expect(parseKeyValues([])).toEqual({});
  });

  it('rejects when any item is invalid', () => {
    expect(() => parseKeyValues(['a=1', 'oops'], 'label')).toThrow(/invalid label "oops"/);
  });
});

describe('parseRate', () => {
  it.each<[string | number, number]>([
    ['32kbit', 4000],
    ['64kbit', 8000],
    ['2mbit', 250_000],
    ['2Mbit', 250_000],
    ['256 kbit', 32_000],
    ['64kbps', 8000],
    ['9600', 1200],
    ['9600bit', 1200],
    ['4KiB/s', 4096],
    ['1MB/s', 1e6],
    ['100B/s', 100],
    [64000, 8000],
  ])('%j -> %d bytes/s', (input, bytesPerSecond) => {
    expect(parseRate(input)).toBe(bytesPerSecond);
  });

  it.each<string | number>(['', 'fast', '0kbit', '-5kbit', '32 kbits', '1e3bit', 0, -1, Number.NaN])(
    'refuses %j with an example of what works',
    (input) => {
      expect(() => parseRate(input)).toThrow(/expected e\.g\. 32kbit/);
    },
  );
});
