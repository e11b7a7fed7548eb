import { z } from 'zod';
import { intParam, ValidationError } from '@tether/shared';

/** Page sizes of the listings paged by key (routes, agents, topology edges). */
export const LIST_PAGE = { default: 100, max: 1000 } as const;

/** The query fields every keyset listing takes: `limit` and the previous page's `cursor`. */
export const PageFields = {
  limit: z
    .string()
    .describe(`rows per page: 1-${LIST_PAGE.max} (default ${LIST_PAGE.default}); a page may hold fewer`)
    .optional(),
  cursor: z.string().max(4096).describe('the previous page’s nextCursor (absent: the first page)').optional(),
};

/** The `limit` of a query; throws a ValidationError (400) saying the range when it is out of it. */
export function pageLimit(value: string | undefined): number {
  const limit = intParam(value, 'limit') ?? LIST_PAGE.default;
  if (limit < 1 || limit > LIST_PAGE.max)
    throw new ValidationError(
      `invalid limit ${limit}: expected 1-${LIST_PAGE.max}, or none for ${LIST_PAGE.default}`,
    );
  return limit;
}

/** The opaque cursor after the row with this key, in the listing `kind` (a cursor of one listing fits no other). */
export function keyCursor(kind: string, key: string): string {
  return Buffer.from(JSON.stringify([1, kind, key]), 'utf8').toString('base64url');
}

/**
 * The key inside a cursor of the listing `kind` (undefined when none is given); throws a ValidationError (400)
 * when it is not one this listing gave.
 */
export function cursorKey(kind: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new ValidationError(badCursor(kind), { cause });
  }
  const [version, listing, key] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  if (version !== 1 || listing !== kind || typeof key !== 'string')
    throw new ValidationError(badCursor(kind));
  return key;
}

const badCursor = (kind: string): string =>
  `invalid cursor: not one of GET /api/v1/${kind}; pass back the nextCursor of its previous page unchanged, ` +
  'or leave cursor out to start from the first page';

/** `nextCursor` of a page: the cursor after its `next` key, or null at the end. */
export const nextCursor = (kind: string, next: string | null): string | null =>
  next === null ? null : keyCursor(kind, next);
