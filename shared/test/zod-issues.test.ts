import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodError, formatZodIssues, MAX_LISTED_ISSUES } from '@tether/shared';

const Service = z.strictObject({
  name: z.string(),
  visibleTo: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  tiers: z.array(z.strictObject({ priority: z.number().int().min(0) })).optional(),
});

function messageOf(schema: z.ZodType, value: unknown): string {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return formatZodError(parsed.error);
}

describe('formatZodIssues', () => {
  it.each<[string, unknown, string]>([
    ['a nested typo', { name: 'a', visibleTo: { label: { a: 'b' } } }, 'visibleTo: unrecognized key "label"'],
    ['two unknown keys', { name: 'a', visibleTo: { x: 1, y: 2 } }, 'visibleTo: unrecognized keys "x", "y"'],
    ['an unknown top-level key', { name: 'a', nmae: 'b' }, 'unrecognized key "nmae"'],
    ['a bad array item', { name: 'a', tiers: [{ priority: -1 }] }, 'tiers.0.priority: Too small'],
    ['a wrong type at the root', 'x', 'Invalid input: expected object, received string'],
  ])('%s', (_what, value, expected) => {
    expect(messageOf(Service, value)).toContain(expected);
  });

  it('lists every issue, separated by "; "', () => {
    const message = messageOf(Service, { visibleTo: { label: {} } });
    expect(message.split('; ')).toEqual([
      'name: Invalid input: expected string, received undefined',
      'visibleTo: unrecognized key "label"',
    ]);
  });

  it(`lists at most ${MAX_LISTED_ISSUES} issues, then how many more`, () => {
    const message = messageOf(
      z.array(z.number()),
      Array.from({ length: 25 }, () => 'x'),
    );
    expect(message.split('; ')).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(message).toMatch(/; and 15 more$/);
  });

  it('names the path and the key of any unknown key at any depth', () => {
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'inner' && k !== '__proto__');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), key, (depth, bad) => {
        let schema: z.ZodType = z.strictObject({ leaf: z.number().optional() });
        let value: Record<string, unknown> = { [bad]: 1 };
        for (let i = 0; i < depth; i++) {
          schema = z.strictObject({ inner: schema });
          value = { inner: value };
        }
        const path = Array.from({ length: depth }, () => 'inner').join('.');
        const expected = `unrecognized key ${JSON.stringify(bad)}`;
        expect(messageOf(schema, value)).toBe(path ? `${path}: ${expected}` : expected);
      }),
    );
  });

  it('formats plain issue objects too', () => {
    expect(formatZodIssues([{ path: ['a', 0], message: 'bad' }])).toBe('a.0: bad');
    expect(formatZodIssues([])).toBe('');
  });
});
