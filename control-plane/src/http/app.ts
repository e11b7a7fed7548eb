import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import {
  CentralServiceSchema,
  formatZodError,
  NotFoundError,
  RouteStateSchema,
  ValidationError,
  type Clock,
  type RouteFilter,
  type RouteTable,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import { registerAuditRoutes } from '../audit/audit-api.js';
import type { RequestAuth } from '../auth/request-auth.js';
import { registerTokenRoutes, requestActor } from '../auth/token-routes.js';
import type { TokenSockets } from '../auth/token-sockets.js';
import type { TokenStore } from '../auth/token-store.js';
import type { AgentTelemetry } from '../agent-telemetry.js';
import { keyed, type EventBus } from '../event-bus.js';
import type { EventLog } from '../event-log.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { registerPolicyRoutes } from '../policy/policy-api.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { HealthSource } from '../policy/service-detail.js';
import { registerAgentOnce } from '../register-agent.js';
import type { Revocations } from '../revocation/revocations.js';
import type { CentralServices } from '../services/central-services.js';
import type { AgentStore } from '../store/agent-store.js';
import type { ServiceStore } from '../store/service-store.js';
import type { ReportStore } from '../reports/report-store.js';
import { registerEnrollmentRoutes, type EnrollmentApiDeps } from './enrollment-routes.js';
import { registerDashboard } from './dashboard-assets.js';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { jsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { registerReportRoutes } from './report-routes.js';
import { requestLog } from './request-log.js';
import { topology } from './topology.js';
import { agentView, serviceViews, type ConflictSource } from './views.js';

/** This package's version (from `src/http` and `dist/http` alike). */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What the HTTP API reads and writes. */
export interface ApiDeps {
  table: RouteTable;
  agents: AgentStore;
  services: ServiceStore;
  centralServices: CentralServices;
  /** Per-service route selection policies. */
  policies: PolicyStore;
  /** Passive health of each instance (the route picker's). */
  health: HealthSource;
  /** Each service's name conflicts (edges advertising a centrally defined service). */
  conflicts: ConflictSource;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  reports: ReportStore;
  tokens: TokenStore;
  audit: AuditLog;
  /** Who made each request (checked before hono on node:http). */
  auth: RequestAuth;
  revocations: Revocations;
  /** The WebSockets opened with each API token (closed when it is deleted). */
  tokenSockets: TokenSockets;
  /** Enrollment grants, redemption and credential rotation. */
  enrollment: EnrollmentApiDeps;
  bus: EventBus;
  /** Agents' outbox figures from their digests. */
  telemetry: AgentTelemetry;
  /** Each agent's recent events. */
  events: EventLog;
  /** The site stamped on central routes. */
  site: string;
  /** True when the database, broker and listeners are up. */
  isReady(): boolean;
  /** Why not ready beyond `isReady` (a cluster member's Redis), or undefined. */
  notReadyReason?(): string | undefined;
}

/**
 * The control plane's JSON API (bearer tokens with roles are checked before it: see RequestAuth), its OpenAPI
 * document, and the dashboard at `/`. Every route must be documented in OPERATIONS (a test checks).
 */
export function createApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFoundHandler);
  app.use(requestId({ limitLength: 64 }));
  app.use(requestLog(deps.logger, deps.metrics));
  const view = (agent: Parameters<typeof agentView>[0]) => agentView(agent, deps.table, deps.telemetry);
  const document = openApiDocument(VERSION);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const reason = deps.notReadyReason?.();
    if (deps.isReady() && reason === undefined) return c.json({ status: 'ready' });
    return c.json({ status: 'not ready', ...(reason === undefined ? {} : { reason }) }, 503);
  });
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });

  app.get('/api/v1/agents', (c) => c.json({ agents: deps.agents.list().map(view) }));
  app.get('/api/v1/agents/:id', (c) => {
    const agent = deps.agents.get(c.req.param('id'));
    if (!agent) throw new NotFoundError(`agent "${c.req.param('id')}" not found`);
    return c.json(view(agent));
  });
  app.get('/api/v1/agents/:id/events', (c) => {
    const id = c.req.param('id');
    if (!deps.agents.get(id)) throw new NotFoundError(`agent "${id}" not found`);
    return c.json({ events: deps.events.recent(id) });
  });
  app.get('/api/v1/topology', (c) => c.json(topology(deps)));
  app.get('/api/v1/openapi.json', (c) => c.json(document));
  app.post('/api/v1/agents', async (c) => {
    const body = await jsonBody(c);
    const audit = { log: deps.audit, actor: requestActor(c, deps.auth) };
    const claims = deps.enrollment.claims;
    return c.json(await registerAgentOnce(deps.agents, body, deps.clock.now(), audit, claims), 201);
  });
  app.delete('/api/v1/agents/:id', (c) => {
    const revoked = deps.revocations.revoke(c.req.param('id'), requestActor(c, deps.auth));
    return c.json({ id: revoked.id, revokedAt: new Date(revoked.revokedAt).toISOString() });
  });

  app.get('/api/v1/routes', (c) => {
    const filter: RouteFilter = {};
    const { service, agent, state } = c.req.query();
    if (service) filter.service = service;
    if (agent) filter.origin = agent;
    if (state) {
      const parsed = RouteStateSchema.safeParse(state);
      if (!parsed.success) throw new ValidationError(`invalid state "${state}": expected active or stale`);
      filter.state = parsed.data;
    }
    return c.json({ routes: deps.table.list(filter).map(keyed) });
  });

  app.get('/api/v1/services', (c) => c.json({ services: serviceViews(deps) }));
  app.post('/api/v1/services', async (c) => {
    const parsed = CentralServiceSchema.safeParse(await jsonBody(c));
    if (!parsed.success) throw new ValidationError(`invalid service: ${formatZodError(parsed.error)}`);
    return c.json(await deps.centralServices.add(parsed.data), 201);
  });
  app.delete('/api/v1/services/:name', async (c) => {
    await deps.centralServices.remove(c.req.param('name'));
    return c.body(null, 204);
  });
  registerPolicyRoutes(app, { ...deps, actor: (c) => requestActor(c, deps.auth) });
  registerTokenRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerReportRoutes(app, { reports: deps.reports, clock: deps.clock });
  registerEnrollmentRoutes(app, deps.enrollment);
  registerDashboard(app);
  return app;
}
