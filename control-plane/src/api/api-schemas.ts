import { z } from 'zod';
import {
  AdvertiseStrategySchema,
  CentralServiceSchema,
  LabelsSchema,
  OutboxStatsSchema,
  RouteSchema,
  ServicePolicySchema,
} from '@tether/shared';
import { AGENT_STATES } from './agent-state.js';
import { AUDIT_KINDS } from './audit-kinds.js';
import { INSTANCE_STATUSES } from './instance-status.js';

// The HTTP API's response shapes as zod schemas: the views are typed from them and the OpenAPI document is
// generated from them, so the docs cannot drift from what the handlers build.

/** Every error answer: `{"error":{"code","message"}}`. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/** A route as served by the API and the event stream: the route plus its key and protocol (its address's scheme). */
export const KeyedRouteSchema = RouteSchema.extend({ key: z.string(), protocol: z.enum(['http', 'tcp']) });

/** An agent as the API serves it (never its secret hash). */
export const AgentViewSchema = z.object({
  id: z.string(),
  status: z.enum(['online', 'offline']),
  /** The strategy the agent declares (its last snapshot or status). */
  strategy: AdvertiseStrategySchema.nullable(),
  /** The strategy the hub holds it to (grant or `agent add --strategy`), whatever it declares; `none`: no routes. */
  fixedStrategy: AdvertiseStrategySchema.nullable(),
  site: z.string().nullable(),
  labels: LabelsSchema,
  version: z.string().nullable(),
  /** ISO time of the last message or connection change. */
  lastSeen: z.string().nullable(),
  routeCount: z.number().int(),
  staleRoutes: z.number().int(),
  /** When the agent was revoked (ISO), or null. */
  revokedAt: z.string().nullable(),
  /** Credential rotation: whether a new secret awaits the agent's confirmation, and when it last confirmed one. */
  credential: z.object({ rotationPending: z.boolean(), rotatedAt: z.string().nullable() }),
  /** The agent's report outbox as of its last digest; null before the first one since the hub started. */
  outbox: OutboxStatsSchema.extend({ at: z.string() }).nullable(),
});

/**
 * An edge advertising a service the hub defines centrally, which its policy's `allowEdgeInstances` does not admit:
 * its routes stay listed but take no calls. `since`: when the hub first saw it (ISO).
 */
export const ConflictViewSchema = z.object({ agent: z.string(), since: z.string() });

/** One row of `GET /api/v1/services`: a service name, its central definition, and its routes counted. */
export const ServiceViewSchema = z.object({
  name: z.string(),
  central: CentralServiceSchema.nullable(),
  /** Its routes by state (the instances themselves: `GET /api/v1/services/:name` or `/api/v1/routes?service=`). */
  instances: z.object({ active: z.number().int(), stale: z.number().int() }),
  /** The sites its routes were advertised from, sorted. */
  sites: z.array(z.string()),
  /** Edges whose routes of this centrally defined service are kept out of selection. */
  conflicts: z.array(ConflictViewSchema),
});

/** One instance of `GET /api/v1/services/:name`: the route, its tier priority and its passive health. */
export const InstanceViewSchema = KeyedRouteSchema.extend({
  priority: z.number().int(),
  health: z.enum(['healthy', 'ejected', 'half-open']),
  /** Liveness and calls together: unreachable (agent disconnected), ejected, failing, half-open or healthy. */
  status: z.enum(INSTANCE_STATUSES),
  ejectedUntil: z.string().nullable(),
  inflight: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  consecutiveFailures: z.number().int(),
  ejections: z.number().int(),
  latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
});

/** Where a service's effective policy comes from. */
export const PolicySourceSchema = z.enum(['api', 'config', 'default']);

/** `GET /api/v1/services/:name`: the effective policy, the central definition, the instances. */
export const ServiceDetailSchema = z.object({
  name: z.string(),
  policy: ServicePolicySchema,
  policySource: PolicySourceSchema,
  central: CentralServiceSchema.nullable(),
  instances: z.array(InstanceViewSchema),
  /** Edges whose routes of this centrally defined service are kept out of selection (`allowEdgeInstances`). */
  conflicts: z.array(ConflictViewSchema),
});

/** `PUT /api/v1/services/:name/policy`: the stored policy with its defaults applied. */
export const StoredPolicySchema = z.object({
  name: z.string(),
  policy: ServicePolicySchema,
  policySource: z.enum(['api', 'config']),
});

/** A stored report: JSON bodies as JSON, text as text, anything else base64. */
export const ReportViewSchema = z.object({
  id: z.number().int(),
  agent: z.string(),
  stream: z.string(),
  seq: z.number().int(),
  at: z.number().int(),
  receivedAt: z.number().int(),
  contentType: z.string(),
  data: z.unknown(),
  encoding: z.literal('base64').optional(),
});

/** One (agent, stream) of `GET /api/v1/streams`. */
export const StreamViewSchema = z.object({
  agent: z.string(),
  stream: z.string(),
  count: z.number().int(),
  bytes: z.number().int(),
  lastSeq: z.number().int(),
  lastAt: z.number().int(),
  lastReceivedAt: z.number().int(),
  /** Edge accept to hub commit of the newest report, ms. */
  lagMs: z.number(),
  /** Since the newest report was committed, ms. */
  idleMs: z.number(),
});

/** One edge in the topology: what it shares with the hub and which central services it may see. */
export const TopologyEdgeSchema = z.object({
  id: z.string(),
  status: z.enum(['online', 'offline']),
  /** What the operator tells apart: revoked, online, stale (offline, routes kept) or offline. */
  state: z.enum(AGENT_STATES),
  /** When the agent was revoked (ISO), or null. A revoked edge sees nothing. */
  revokedAt: z.string().nullable(),
  site: z.string().nullable(),
  strategy: AdvertiseStrategySchema.nullable(),
  labels: LabelsSchema,
  /** Service names this edge advertises to the hub (its own instances). */
  shares: z.array(z.object({ service: z.string(), state: z.enum(['active', 'stale']) })),
  /** Central services the hub sends this edge (visibility rules applied); never another edge's. */
  sees: z.array(z.string()),
});

/** `GET /api/v1/topology`: the hub, its central services, and one page of edges (by id; nextCursor: the next). */
export const TopologySchema = z.object({
  hub: z.object({
    site: z.string(),
    services: z.array(z.object({ name: z.string(), url: z.string(), visibleTo: z.unknown().optional() })),
  }),
  edges: z.array(TopologyEdgeSchema),
  nextCursor: z.string().nullable(),
});

/** Per (agent, stream): what was committed during the last stats interval (`count`, `bytes`: in the interval). */
export const StreamTickSchema = StreamViewSchema.omit({ idleMs: true });

/** Per service: calls finished during the last stats interval and calls in flight now. */
export const ServiceTickSchema = z.object({
  service: z.string(),
  perSecond: z.number(),
  errorsPerSecond: z.number(),
  inFlight: z.number().int(),
  /** Mean duration of the calls finished in the interval, ms (null when none). */
  meanMs: z.number().nullable(),
});

/** The `stats` event the server pushes every couple of seconds while someone watches `/api/v1/events`. */
export const StatsEventSchema = z.object({
  type: z.literal('stats'),
  at: z.number().int(),
  intervalMs: z.number().int(),
  agents: z.object({
    online: z.number().int(),
    offline: z.number().int(),
    stale: z.number().int(),
  }),
  routes: z.object({ active: z.number().int(), stale: z.number().int() }),
  services: z.number().int(),
  calls: z.object({
    perSecond: z.number(),
    errorsPerSecond: z.number(),
    inFlight: z.number().int(),
    total: z.number().int(),
    errors: z.number().int(),
  }),
  perService: z.array(ServiceTickSchema),
  reports: z.object({
    perSecond: z.number(),
    /** The largest edge-to-hub lag of the reports committed in the interval, ms (null when none). */
    maxLagMs: z.number().nullable(),
  }),
  streams: z.array(StreamTickSchema),
  tunnels: z.object({
    outgoing: z.number().int(),
    incoming: z.number().int(),
    queued: z.number().int(),
    streams: z.number().int(),
  }),
});

/** One frame of `WS /api/v1/events`. */
export const ControlPlaneEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['route-created', 'route-updated', 'route-deleted']), route: KeyedRouteSchema }),
  z.object({ type: z.enum(['agent-online', 'agent-offline']), agentId: z.string() }),
  z.object({ type: z.literal('agent-updated'), agent: AgentViewSchema }),
  z.object({
    type: z.literal('policy-updated'),
    service: z.string(),
    /** The effective policy now (defaults after a delete). */
    policy: ServicePolicySchema,
    policySource: PolicySourceSchema,
  }),
  StatsEventSchema,
]);

/** A recorded event with the time it happened (`GET /api/v1/agents/:id/events`). */
export const TimedEventSchema = z.object({ at: z.number().int(), event: ControlPlaneEventSchema });

/** `POST /api/v1/agents`: the new agent's secret, shown once. */
export const RegisteredAgentSchema = z.object({ id: z.string(), secret: z.string() });

/** One audit row: `count` identical events between `at` and `lastAt` for coalesced kinds, else 1. */
export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  lastAt: z.string(),
  kind: z.enum(AUDIT_KINDS),
  agentId: z.string().nullable(),
  actor: z.string().nullable(),
  source: z.string().nullable(),
  count: z.number().int(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

/** `GET /api/v1/audit`: a page of rows and the cursor of the next one (null at the end). */
export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  nextCursor: z.string().nullable(),
});

export type AgentView = z.infer<typeof AgentViewSchema>;
export type ServiceView = z.infer<typeof ServiceViewSchema>;
export type ConflictView = z.infer<typeof ConflictViewSchema>;
export type InstanceView = z.infer<typeof InstanceViewSchema>;
export type ServiceDetail = z.infer<typeof ServiceDetailSchema>;
export type ReportView = z.infer<typeof ReportViewSchema>;
export type StreamView = z.infer<typeof StreamViewSchema>;
export type Topology = z.infer<typeof TopologySchema>;
export type StatsEvent = z.infer<typeof StatsEventSchema>;
export type StreamTick = z.infer<typeof StreamTickSchema>;
export type ServiceTick = z.infer<typeof ServiceTickSchema>;
export type TimedEvent = z.infer<typeof TimedEventSchema>;
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;
export type AuditPageView = z.infer<typeof AuditPageSchema>;
