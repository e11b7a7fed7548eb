import type { Context } from 'hono';
import { z } from 'zod';
import {
  CentralServiceSchema,
  DEFAULT_POLICY,
  defineRoute,
  NotFoundError,
  OriginKindSchema,
  RouteStateSchema,
  ValidationError,
  ServiceNameSchema,
  ServicePolicySchema,
  type Clock,
  type RouteFilter,
  type RouteTable,
} from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import { keyed, type EventBus } from '../../observability/event-bus.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import { serviceDetail, type HealthSource } from '../../policy/service-detail.js';
import type { CentralServices } from '../../services/central-services.js';
import type { ServiceStore } from '../../store/service-store.js';
import type { SqliteRouteTable } from '../../store/sqlite-route-table.js';
import {
  KeyedRouteSchema,
  ServiceDetailSchema,
  ServiceViewSchema,
  StoredPolicySchema,
} from '../../api/api-schemas.js';
import { servicePage, type ConflictSource } from '../../api/views.js';
import { BAD, json, MISSING, paged, type ApiRoute } from './api-route.js';
import { cursorKey, nextCursor, pageLimit, PageFields } from './page-query.js';

/** What the route and service routes read and write. */
export interface ServiceRoutesDeps {
  /** The route table, walked a page at a time in key order for `GET /api/v1/routes`. */
  table: RouteTable & Pick<SqliteRouteTable, 'page' | 'tallies'>;
  services: ServiceStore;
  centralServices: CentralServices;
  policies: PolicyStore;
  /** Passive health of each instance (the route picker's). */
  health: HealthSource;
  /** Each service's name conflicts (edges advertising a centrally defined service). */
  conflicts: ConflictSource;
  audit: AuditLog;
  bus: EventBus;
  clock: Clock;
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

const ServiceParams = z.strictObject({ name: ServiceNameSchema });

const RoutesQuery = z.strictObject({
  service: z.string().describe('service name').optional(),
  agent: z.string().describe('origin agent id (or central)').optional(),
  origin: z.string().describe('the same as agent').optional(),
  state: RouteStateSchema.describe('route state').optional(),
  site: z.string().describe('the site the route was advertised from').optional(),
  originKind: OriginKindSchema.describe('edge, central, local or peer').optional(),
  ...PageFields,
});

/** Routes and services: the route table, central services, each service's detail and selection policy. */
export function serviceRoutes(deps: ServiceRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/routes',
      access: 'read',
      tag: 'routes',
      summary: 'The routes, optionally filtered, a page at a time in key order (follow nextCursor)',
      query: RoutesQuery,
      responses: { 200: json('one page of routes', paged('routes', KeyedRouteSchema)), ...BAD },
      handle: (c, { query }) => {
        const filter: RouteFilter = {};
        if (query.service) filter.service = query.service;
        if (query.agent && query.origin && query.agent !== query.origin)
          throw new ValidationError(
            'agent and origin name the same filter: give one of them (or both alike)',
          );
        const origin = query.agent ?? query.origin;
        if (origin) filter.origin = origin;
        if (query.state) filter.state = query.state;
        if (query.site) filter.site = query.site;
        if (query.originKind) filter.originKind = query.originKind;
        const limit = pageLimit(query.limit);
        const page = deps.table.page(filter, cursorKey('routes', query.cursor), limit);
        return c.json({ routes: page.items.map(keyed), nextCursor: nextCursor('routes', page.next) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/services',
      access: 'read',
      tag: 'services',
      summary:
        'The services in name order, a page at a time (follow nextCursor): central definition, routes counted by state, sites',
      query: z.strictObject(PageFields),
      responses: { 200: json('one page of services', paged('services', ServiceViewSchema)), ...BAD },
      handle: (c, { query }) => {
        const page = servicePage(
          { ...deps, tallies: deps.table.tallies() },
          cursorKey('services', query.cursor),
          pageLimit(query.limit),
        );
        return c.json({ services: page.items, nextCursor: nextCursor('services', page.next) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/services',
      access: 'admin',
      tag: 'services',
      summary: 'Add or replace a central service',
      body: CentralServiceSchema,
      responses: { 201: json('stored', CentralServiceSchema), ...BAD },
      handle: async (c, { body }) =>
        c.json(await deps.centralServices.add(body, { log: deps.audit, actor: deps.actor(c) }), 201),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/services/:name',
      access: 'read',
      tag: 'services',
      summary: 'A service: effective policy, instances with health, calls in flight and latency',
      params: ServiceParams,
      responses: { 200: json('the service', ServiceDetailSchema), ...BAD, ...MISSING },
      handle: (c, { params: { name } }) => {
        const detail = serviceDetail(deps, name, deps.clock.now());
        if (!detail) throw new NotFoundError(`service "${name}" not found: no route and no policy`);
        return c.json(detail);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/services/:name',
      access: 'admin',
      tag: 'services',
      summary: 'Remove a central service',
      params: ServiceParams,
      responses: { 204: { description: 'removed' }, ...BAD, ...MISSING },
      handle: async (c, { params }) => {
        await deps.centralServices.remove(params.name, { log: deps.audit, actor: deps.actor(c) });
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/services/:name/policy',
      access: 'admin',
      tag: 'services',
      summary: "Set a service's route selection policy (any service name, central or edge)",
      params: ServiceParams,
      body: ServicePolicySchema,
      responses: { 200: json('stored, defaults applied', StoredPolicySchema), ...BAD },
      handle: (c, { params: { name }, body }) => {
        const record = deps.audit.atomically(() => {
          deps.audit.record({
            kind: 'policy-set',
            actor: deps.actor(c),
            detail: { service: name, policy: body },
          });
          return deps.policies.set(name, body, 'api', deps.clock.now());
        });
        deps.bus.emit({
          type: 'policy-updated',
          service: name,
          policy: record.policy,
          policySource: record.source,
        });
        return c.json({ name, policy: record.policy, policySource: record.source });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/services/:name/policy',
      access: 'admin',
      tag: 'services',
      summary: "Drop a service's policy (back to the defaults)",
      params: ServiceParams,
      responses: { 204: { description: 'dropped' }, ...BAD, ...MISSING },
      handle: (c, { params: { name } }) => {
        const deleted = deps.audit.atomically(() => {
          if (!deps.policies.delete(name)) return false;
          deps.audit.record({ kind: 'policy-deleted', actor: deps.actor(c), detail: { service: name } });
          return true;
        });
        if (!deleted) throw new NotFoundError(`service "${name}" has no policy`);
        deps.bus.emit({
          type: 'policy-updated',
          service: name,
          policy: DEFAULT_POLICY,
          policySource: 'default',
        });
        return c.body(null, 204);
      },
    }),
  ];
}
