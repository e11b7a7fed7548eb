import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import { incomingOf } from '@tether/shared';
import type { RequestAuth } from '../auth/request-auth.js';
import { actorOf } from '../auth/request-auth.js';
import type { CallGateway } from './gateway.js';
import type { CallUpgrade } from './gateway-upgrade.js';
import { dashboardRoutes } from './dashboard-assets.js';
import { openApiDocument } from './openapi.js';
import { accessRoutes, type AccessRoutesDeps } from './routes/access-routes.js';
import { agentRoutes, type AgentRoutesDeps } from './routes/agent-routes.js';
import type { ApiRoute } from './routes/api-route.js';
import { callRoutes } from './routes/call-routes.js';
import { enrollmentRoutes, type EnrollmentRoutesDeps } from './routes/enrollment-routes.js';
import { listenerRoutes, type ListenerRoutesDeps } from './routes/listener-routes.js';
import { reportRoutes, type ReportRoutesDeps } from './routes/report-routes.js';
import { serviceRoutes, type ServiceRoutesDeps } from './routes/service-routes.js';
import { streamRoutes, type StreamRoutesDeps } from './routes/stream-routes.js';
import { upgradeRoutes, type UpgradeRoutesDeps } from './routes/upgrade-routes.js';
import { openApiRoute, systemRoutes, type SystemRoutesDeps } from './routes/system-routes.js';

/** This package's version (from `src/http` and `dist/http` alike). */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Who made a request and with which token: what every route's deps get from the request's authorisation. */
type Identity = 'actor' | 'principal';

/** What the control plane's HTTP port serves. */
export type RouteTableDeps = Omit<
  AgentRoutesDeps &
    ServiceRoutesDeps &
    AccessRoutesDeps &
    EnrollmentRoutesDeps &
    ReportRoutesDeps &
    ListenerRoutesDeps &
    UpgradeRoutesDeps,
  Identity
> &
  StreamRoutesDeps &
  SystemRoutesDeps & {
    auth: RequestAuth;
    gateway: CallGateway;
    gatewayUpgrade: CallUpgrade;
  };

/** The route table of the HTTP port, and the live figures of its streams. */
export interface ApiRouteTable {
  routes: ApiRoute[];
  /** Clients of the event stream now. */
  eventViewers: () => number;
}

/**
 * Every route of the control plane's HTTP port, each one record: method, path, access, schemas, handler. The
 * hono app, the front door (gateway and WebSockets), the access checks and the OpenAPI document all derive from
 * this list, so no route is served without a rule, and the dashboard only at its own pages and files.
 */
export function apiRouteTable(deps: RouteTableDeps): ApiRouteTable {
  const principal = (c: Context) => deps.auth.principalOf(incomingOf(c));
  const identity = { principal, actor: (c: Context) => actorOf(principal(c)) };
  const streams = streamRoutes(deps);
  const routes: ApiRoute[] = [
    ...systemRoutes(deps),
    ...agentRoutes({ ...deps, ...identity }),
    ...serviceRoutes({ ...deps, ...identity }),
    ...reportRoutes(deps),
    ...accessRoutes({ ...deps, ...identity }),
    ...enrollmentRoutes({ ...deps, ...identity }),
    ...listenerRoutes({ ...deps, ...identity }),
    ...upgradeRoutes({ ...deps, ...identity }),
    ...streams.routes,
    ...callRoutes(deps.gateway, deps.gatewayUpgrade),
    ...dashboardRoutes(),
  ];
  const document = openApiDocument(VERSION, [...routes, openApiRoute(undefined)]);
  return { routes: [...routes, openApiRoute(document)], eventViewers: streams.eventViewers };
}
