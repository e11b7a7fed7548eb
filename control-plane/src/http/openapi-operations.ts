import { z } from 'zod';
import { CentralServiceSchema, ServicePolicySchema } from '@tether/shared';
import {
  AgentViewSchema,
  ControlPlaneEventSchema,
  KeyedRouteSchema,
  RegisteredAgentSchema,
  ReportViewSchema,
  ServiceDetailSchema,
  ServiceViewSchema,
  StoredPolicySchema,
  StreamViewSchema,
  TimedEventSchema,
  TopologySchema,
} from './api-schemas.js';
import { AgentRequestSchema } from '../register-agent.js';
import { error, json, list, status, type Operation } from './openapi-spec.js';
import { SECURITY_OPERATIONS } from './openapi-security-operations.js';

export type { Operation, QuerySpec, ResponseSpec } from './openapi-spec.js';

/** How a JSON 400 and 404 look on every operation that can answer them. */
const BAD = { 400: error('invalid input: the message names the field') } as const;
const MISSING = { 404: error('not found') } as const;

/** Every operation of the control plane's HTTP port. A test compares this list with `app.routes`. */
export const OPERATIONS: Operation[] = [
  // System
  {
    method: 'get',
    path: '/healthz',
    tag: 'system',
    summary: 'Liveness',
    responses: { 200: json('alive', status('ok')) },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'system',
    summary: 'Readiness: database, broker and listeners up',
    responses: { 200: json('ready', status('ready')), 503: json('not ready', status('not ready')) },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'metrics', contentType: 'text/plain; version=0.0.4' } },
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    tag: 'system',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
  },
  // Agents
  {
    method: 'get',
    path: '/api/v1/agents',
    tag: 'agents',
    summary: 'Every agent with its status, site, strategy, version, routes and outbox',
    responses: { 200: json('agents', list('agents', AgentViewSchema)) },
  },
  {
    method: 'post',
    path: '/api/v1/agents',
    tag: 'agents',
    summary: 'Register an agent; its secret is shown once',
    body: AgentRequestSchema,
    responses: { 201: json('registered', RegisteredAgentSchema), ...BAD, 409: error('the id exists') },
  },
  {
    method: 'get',
    path: '/api/v1/agents/:id',
    tag: 'agents',
    summary: 'One agent',
    responses: { 200: json('the agent', AgentViewSchema), ...MISSING },
  },
  {
    method: 'get',
    path: '/api/v1/agents/:id/events',
    tag: 'agents',
    summary: "The agent's recent events (kept in memory, newest first)",
    responses: { 200: json('events', list('events', TimedEventSchema)), ...MISSING },
  },
  {
    method: 'get',
    path: '/api/v1/topology',
    tag: 'agents',
    summary: 'The hub and its edges: what each edge shares and which central services it sees',
    responses: { 200: json('topology', TopologySchema) },
  },
  // Routes and services
  {
    method: 'get',
    path: '/api/v1/routes',
    tag: 'routes',
    summary: 'Every route, optionally filtered',
    query: {
      service: { description: 'service name' },
      agent: { description: 'origin agent id (or central)' },
      state: { description: 'route state', enum: ['active', 'stale'] },
    },
    responses: { 200: json('routes', list('routes', KeyedRouteSchema)), ...BAD },
  },
  {
    method: 'get',
    path: '/api/v1/services',
    tag: 'services',
    summary: 'Every service name with its central definition and instances',
    responses: { 200: json('services', list('services', ServiceViewSchema)) },
  },
  {
    method: 'post',
    path: '/api/v1/services',
    tag: 'services',
    summary: 'Add or replace a central service',
    body: CentralServiceSchema,
    responses: { 201: json('stored', CentralServiceSchema), ...BAD },
  },
  {
    method: 'get',
    path: '/api/v1/services/:name',
    tag: 'services',
    summary: 'A service: effective policy, instances with health, calls in flight and latency',
    responses: { 200: json('the service', ServiceDetailSchema), ...BAD, ...MISSING },
  },
  {
    method: 'delete',
    path: '/api/v1/services/:name',
    tag: 'services',
    summary: 'Remove a central service',
    responses: { 204: { description: 'removed' }, ...MISSING },
  },
  {
    method: 'put',
    path: '/api/v1/services/:name/policy',
    tag: 'services',
    summary: "Set a service's route selection policy",
    body: ServicePolicySchema,
    responses: { 200: json('stored, defaults applied', StoredPolicySchema), ...BAD },
  },
  {
    method: 'delete',
    path: '/api/v1/services/:name/policy',
    tag: 'services',
    summary: "Drop a service's policy (back to the defaults)",
    responses: { 204: { description: 'dropped' }, ...BAD, ...MISSING },
  },
  // Reports
  {
    method: 'get',
    path: '/api/v1/reports',
    tag: 'reports',
    summary: 'Stored reports in commit order, paged; or an NDJSON/CSV export',
    query: {
      agent: { description: 'agent id' },
      stream: { description: 'stream name' },
      since: { description: 'accept time from (epoch ms or ISO)' },
      until: { description: 'accept time until (epoch ms or ISO)' },
      limit: { description: 'page size: 1-1000 (default 100); exports up to 100000 (default 10000)' },
      cursor: { description: 'the previous page’s nextCursor' },
      format: { description: 'json (default), ndjson or csv', enum: ['json', 'ndjson', 'csv'] },
    },
    responses: {
      200: json(
        'a page (exports: the next cursor in x-next-cursor)',
        z.object({ reports: z.array(ReportViewSchema), nextCursor: z.string().nullable() }),
      ),
      ...BAD,
    },
  },
  {
    method: 'get',
    path: '/api/v1/streams',
    tag: 'reports',
    summary: 'Per (agent, stream): count, bytes, last seq, lag and idle time',
    responses: { 200: json('streams', list('streams', StreamViewSchema)) },
  },
  // In front of hono
  {
    method: 'get',
    path: '/api/v1/events',
    tag: 'events',
    outside: 'websocket',
    summary: 'WebSocket: one JSON frame per event (routes, agents, policies, and a stats frame every 2 s)',
    description:
      'Upgrade with subprotocol `tether.v1` (a `bearer.<token>` subprotocol may carry the token); the server ' +
      'answers `tether.v1`. The 101 schema below is the schema of one frame.',
    responses: { 101: json('switching to WebSocket; each frame is one event', ControlPlaneEventSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/reports/live',
    tag: 'reports',
    outside: 'websocket',
    summary: 'WebSocket: live tail, one JSON frame per committed report',
    query: { stream: { description: 'only this stream' }, agent: { description: 'only this agent' } },
    responses: { 101: json('switching to WebSocket; each frame is one report', ReportViewSchema), ...BAD },
  },
  ...(['get', 'post', 'put', 'patch', 'delete'] as const).map((method): Operation => ({
    method,
    path: '/call/:service/:path',
    tag: 'calls',
    outside: 'gateway',
    summary: 'Call a service through the network (any method; the path may contain slashes)',
    description:
      'Routed by the service’s policy to a central or edge instance. `x-tether-timeout: <ms>` sets the ' +
      'deadline (default 30 s). Errors: 404 unknown service, 403 not allowed, 413 body too large, 502, ' +
      '503 no healthy instance or agent offline, 504 timeout.',
    responses: {
      200: { description: "the service's response, streamed", contentType: '*/*' },
      ...MISSING,
      503: error('no healthy instance, or every instance offline'),
      504: error('deadline passed'),
    },
  })),
  ...SECURITY_OPERATIONS,
];
