import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTPException } from 'hono/http-exception';
import {
  AgentOfflineError,
  ClusterUnavailableError,
  ConflictError,
  ForbiddenError,
  GoneError,
  NoHealthyInstanceError,
  NotFoundError,
  TetherError,
  UnauthorizedError,
  ValidationError,
} from '@tether/shared';
import type { Logger } from '../logger.js';

/** The HTTP status of an error: 400/401/403/404/409/410/503 for the named errors, else 500. */
export function statusOf(err: unknown): ContentfulStatusCode {
  if (err instanceof ValidationError) return 400;
  if (err instanceof UnauthorizedError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof GoneError) return 410;
  if (err instanceof NoHealthyInstanceError || err instanceof AgentOfflineError) return 503;
  if (err instanceof ClusterUnavailableError) return 503;
  if (err instanceof HTTPException) return err.status;
  return 500;
}

/** The one `app.onError`: maps errors to statuses with the body `{"error":{"code","message"}}`. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    const status = statusOf(err);
    // A named 503 (nothing can take the call now) is an expected answer: its message is meant for the caller.
    const internal = status >= 500 && !(status === 503 && err instanceof TetherError);
    if (internal) logger.error({ err, reqId: c.get('requestId'), path: c.req.path }, 'request failed');
    const code = err instanceof TetherError ? err.code : status >= 500 ? 'internal' : 'http_error';
    const message = internal ? 'internal error' : err.message;
    return c.json({ error: { code, message } }, status);
  };
}

/** The JSON 404 for unknown paths. */
export function notFoundHandler(c: Context): Response {
  return c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
}
