import { ValidationError } from '@tether/shared';

const PREFIX = 'r1:';

/** The opaque cursor after the report with this id. */
export function encodeCursor(id: number): string {
  return Buffer.from(`${PREFIX}${id}`, 'utf8').toString('base64url');
}

/** The report id inside a cursor; throws a ValidationError when it is not one of ours. */
export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : NaN;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !Number.isSafeInteger(id) || id < 0)
    throw new ValidationError('invalid cursor: pass back the nextCursor of a previous page');
  return id;
}
