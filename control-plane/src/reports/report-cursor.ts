import { ValidationError } from '@tether/shared';

const PREFIX = 'r1:';

/** The opaque cursor after the row with this id (`prefix` tells one table's cursors from another's). */
export function encodeCursor(id: number, prefix = PREFIX): string {
  return Buffer.from(`${prefix}${id}`, 'utf8').toString('base64url');
}

/** The row id inside a cursor; throws a ValidationError when it is not one of ours. */
export function decodeCursor(cursor: string, prefix = PREFIX): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(prefix) ? Number(text.slice(prefix.length)) : NaN;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !Number.isSafeInteger(id) || id < 0)
    throw new ValidationError('invalid cursor: pass back the nextCursor of a previous page');
  return id;
}
