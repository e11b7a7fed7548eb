import type { IncomingMessage } from 'node:http';
import type { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { createFrontDoor, createRoutedApp, type RouteBase } from '@tether/shared';
import type { Access } from '../auth/access-policy.js';
import type { RequestAuth } from '../auth/request-auth.js';
import type { SocketGuard } from '../broker/socket-guard.js';
import type { CallRouter } from '../calls/call-router.js';
import type { StreamRouter } from '../calls/stream-router.js';
import { createGateway } from './gateway.js';
import { createGatewayUpgrade } from './gateway-upgrade.js';
import { createListeners, type ListenerOptions, type Listeners } from './listeners.js';
import { requestLog } from './request-log.js';
import { apiRouteTable, type RouteTableDeps } from './route-table.js';
import type { ApiRoute } from './routes/api-route.js';
import { WebSocketEndpoints } from './websockets.js';

/** What the HTTP port serves: the route table's parts, and the call and stream routers behind the gateway. */
export interface HttpDeps extends Omit<RouteTableDeps, 'gateway' | 'gatewayUpgrade' | 'sockets'> {
  options: ListenerOptions;
  guard: SocketGuard;
  auth: RequestAuth;
  router: CallRouter;
  streams: StreamRouter;
  /** The request body limit of `/call`. */
  maxBodyBytes: number;
}

/** The HTTP port and the MQTT listeners, built and not yet bound. */
export interface Http {
  listeners: Listeners;
  routes: readonly ApiRoute[];
  app: Hono;
  /** Clients of the event stream now. */
  eventViewers: () => number;
}

/**
 * Builds the HTTP side in dependency order: the gateway over the call router, the route table, the routed hono
 * app and the front door (both deciding access with `auth` on the matched route), and the listeners.
 */
export function createHttp(deps: HttpDeps): Http {
  const { auth, tokenSockets, logger, metrics } = deps;
  const sockets = new WebSocketEndpoints(tokenSockets, (req) => auth.principalOf(req));
  const identity = {
    callerOf: (req: IncomingMessage) => `central:${auth.principalOf(req)?.name ?? 'anonymous'}`,
    holdWithToken: (req: IncomingMessage, end: () => void) => tokenSockets.hold(auth.principalOf(req), end),
  };
  const gateway = createGateway({
    router: deps.router,
    maxBodyBytes: deps.maxBodyBytes,
    logger,
    clock: deps.clock,
    ...identity,
  });
  const gatewayUpgrade = createGatewayUpgrade({ streams: deps.streams, metrics, logger, ...identity });
  const api = apiRouteTable({ ...deps, sockets, gateway, gatewayUpgrade });
  const authorize = (req: IncomingMessage, route: RouteBase<Access>) => auth.authorize(req, route);
  const app = createRoutedApp(api.routes, {
    authorize,
    onInternalError: (err, c) =>
      logger.error({ err, reqId: c.get('requestId'), path: c.req.path }, 'request failed'),
    middleware: [requestId({ limitLength: 64 }), requestLog(logger, metrics)],
  });
  const listeners = createListeners({
    options: deps.options,
    guard: deps.guard,
    frontDoor: createFrontDoor({ routes: api.routes, app, authorize }),
    sockets,
  });
  return { listeners, routes: api.routes, app, eventViewers: api.eventViewers };
}
