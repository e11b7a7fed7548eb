import type { Context } from 'hono';
import { z } from 'zod';
import { defineRoute, NotFoundError, type Clock, type RouteTable } from '@tether/shared';
import type { AgentTelemetry } from '../../agents/agent-telemetry.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { UniqueClaims } from '../../agents/registration/unique-claims.js';
import type { CredentialRotation } from '../../agents/credentials/credential-rotation.js';
import type { EventLog } from '../../observability/event-log.js';
import { AgentRequestSchema, registerAgentOnce } from '../../agents/registration/register-agent.js';
import type { Revocations } from '../../agents/revocation/revocations.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { ServiceStore } from '../../store/service-store.js';
import {
  AgentViewSchema,
  RegisteredAgentSchema,
  TimedEventSchema,
  TopologySchema,
} from '../../api/api-schemas.js';
import { agentPage } from '../../api/agent-page.js';
import { AGENT_STATES } from '../../api/agent-state.js';
import { topology } from '../../api/topology.js';
import { agentView } from '../../api/views.js';
import { BAD, error, json, list, MISSING, paged, type ApiRoute } from './api-route.js';
import { cursorKey, nextCursor, pageLimit, PageFields } from './page-query.js';

/** What the agent routes read and write. */
export interface AgentRoutesDeps {
  table: RouteTable;
  agents: AgentStore;
  services: ServiceStore;
  telemetry: AgentTelemetry;
  events: EventLog;
  audit: AuditLog;
  revocations: Revocations;
  rotation: CredentialRotation;
  clock: Clock;
  /** The site stamped on central routes. */
  site: string;
  /** In a cluster: agent ids are claimed cluster-wide first (docs/cluster.md). */
  claims?: UniqueClaims | undefined;
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

const AgentParams = z.strictObject({ id: z.string() });

const AgentsQuery = z.strictObject({
  status: z.enum(['online', 'offline']).describe('connected now or not').optional(),
  state: z.enum(AGENT_STATES).describe('revoked, online, stale (offline, routes kept) or offline').optional(),
  site: z.string().describe('the site the agent reports').optional(),
  ...PageFields,
});

const TopologyQuery = z.strictObject({
  agent: z.string().describe('only this edge').optional(),
  ...PageFields,
});

/** Agents: list, one, its events, the topology (read); register, revoke, rotate (admin). */
export function agentRoutes(deps: AgentRoutesDeps): ApiRoute[] {
  const view = (agent: Parameters<typeof agentView>[0]) => agentView(agent, deps.table, deps.telemetry);
  const known = (id: string) => {
    const agent = deps.agents.get(id);
    if (!agent) throw new NotFoundError(`agent "${id}" not found`);
    return agent;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/agents',
      access: 'read',
      tag: 'agents',
      summary: 'The agents with status, site, strategy, version, routes and outbox, a page at a time by id',
      query: AgentsQuery,
      responses: { 200: json('one page of agents', paged('agents', AgentViewSchema)), ...BAD },
      handle: (c, { query: { limit, cursor, ...filter } }) => {
        const page = agentPage(deps, filter, cursorKey('agents', cursor), pageLimit(limit));
        return c.json({ agents: page.items, nextCursor: nextCursor('agents', page.next) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/agents',
      access: 'admin',
      tag: 'agents',
      summary: 'Register an agent; its secret is shown once',
      body: AgentRequestSchema,
      responses: { 201: json('registered', RegisteredAgentSchema), ...BAD, 409: error('the id exists') },
      handle: async (c, { body }) => {
        const audit = { log: deps.audit, actor: deps.actor(c) };
        return c.json(await registerAgentOnce(deps.agents, body, deps.clock.now(), audit, deps.claims), 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/agents/:id',
      access: 'read',
      tag: 'agents',
      summary: 'One agent',
      params: AgentParams,
      responses: { 200: json('the agent', AgentViewSchema), ...MISSING },
      handle: (c, { params }) => c.json(view(known(params.id))),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/agents/:id',
      access: 'admin',
      tag: 'agents',
      summary: 'Revoke the agent (admin): disconnected, refused from now on, its routes withdrawn',
      params: AgentParams,
      responses: {
        200: json('revoked (again: the same answer)', z.object({ id: z.string(), revokedAt: z.string() })),
        ...MISSING,
      },
      handle: (c, { params }) => {
        const revoked = deps.revocations.revoke(params.id, deps.actor(c));
        return c.json({ id: revoked.id, revokedAt: new Date(revoked.revokedAt).toISOString() });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/agents/:id/events',
      access: 'read',
      tag: 'agents',
      summary: "The agent's recent events (kept in memory, newest first)",
      params: AgentParams,
      responses: { 200: json('events', list('events', TimedEventSchema)), ...MISSING },
      handle: (c, { params }) => {
        known(params.id);
        return c.json({ events: deps.events.recent(params.id) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/agents/:id/rotate',
      access: 'admin',
      tag: 'agents',
      summary: "Rotate the agent's secret (admin); the agent picks it up without reconnecting",
      params: AgentParams,
      responses: {
        202: json(
          'rotation pending',
          z.object({
            id: z.string(),
            rotation: z.string(),
            requestedAt: z.string(),
            pending: z.literal(true),
          }),
        ),
        ...MISSING,
      },
      handle: (c, { params }) => c.json(deps.rotation.rotate(params.id, deps.actor(c)), 202),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/topology',
      access: 'read',
      tag: 'agents',
      summary:
        'The hub and a page of its edges (by id): what each edge shares and which central services it sees',
      query: TopologyQuery,
      responses: { 200: json('topology', TopologySchema), ...BAD },
      handle: (c, { query }) => {
        const after = cursorKey('topology', query.cursor);
        const { next, ...view } = topology(deps, after, pageLimit(query.limit), query.agent);
        return c.json({ ...view, nextCursor: nextCursor('topology', next) });
      },
    }),
  ];
}
