import type { Context } from 'hono';
import { ValidationError } from '@tether/shared';

/** The request body as JSON; a ValidationError (400) when it is not JSON. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ValidationError('request body must be JSON');
  }
}
