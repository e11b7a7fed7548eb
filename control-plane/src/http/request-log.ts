import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Counts and times every API request by route pattern (bounded labels) and logs it at debug level with its
 * request id (hono's `requestId` middleware must run first: it takes a sane `x-request-id` or makes one, and
 * echoes it in the response). Server errors are logged by the error handler, with the same id.
 */
export function requestLog(logger: Logger, metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    // After next() the route index points at the handler that answered (not the last one matched).
    const route = routePath(c);
    const method = c.req.method;
    const status = c.res.status;
    metrics.httpRequests.inc({ method, route, status: String(status) });
    metrics.httpDuration.observe({ method, route }, seconds);
    logger.debug(
      { reqId: c.get('requestId'), method, path: c.req.path, status, ms: Math.round(seconds * 1000) },
      'http request',
    );
  };
}
