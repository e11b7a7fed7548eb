import { z } from 'zod';
import { defineRoute, routeKey, type NodeRoute, type Route, type RouteRecord } from '@tether/shared';
import type { LocalAccess } from './local-access.js';
import { ServiceInputSchema, type ServiceInput } from '../services/service-input.js';
import type { Accepted, NewReport, OutboxStats } from '../reports/outbox-types.js';
import { MAX_REQUEST_BYTES, parseReportBody, parseStream } from '../reports/report-input.js';
import type { UplinkStatus } from '../reports/uplink-status.js';
import type { ServiceView } from '../services/service-registry.js';
import type { SourceStatus } from '../sources/source-runner.js';
import type { ListenerView } from '../calls/tcp-listeners.js';

/** What `GET /v1/status` returns. */
export interface AgentStatusView {
  id: string;
  state: 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'closed';
  controlPlane: string;
  connectedSince: number | null;
  lastError: string | null;
  reconnects: number;
  strategy: string;
  site: string;
  labels: Record<string, string>;
  routes: { local: number; central: number };
  outbox: OutboxStats;
  /** The report uplink: measured rate, bytes sent and resent, backlog and the estimated time to drain it. */
  uplink: UplinkStatus;
  /** Where the agent's services come from: the static source, then each registry (`--source`). */
  sources: SourceStatus[];
}

/** What the local API needs from the agent. */
export interface ApiBackend {
  listServices(): ServiceView[];
  /** Adds a service; throws ConflictError when it exists. */
  addService(input: ServiceInput): Promise<ServiceView>;
  /** Removes every instance of a service (or the one at `url`); throws NotFoundError when none. */
  removeService(name: string, url?: string): Promise<void>;
  listRoutes(): Route[];
  status(): AgentStatusView;
  /** Stores reports durably in the outbox; resolves with their seqs once committed. */
  acceptReports(stream: string, reports: NewReport[]): Promise<Accepted>;
  /** The Prometheus exposition of the agent's metrics. */
  metrics(): Promise<{ body: string; contentType: string }>;
  /** The agent's TCP listeners (`--listen`), with their bound ports. */
  listeners(): ListenerView[];
}

/** `/call/...` on plain node:http: the proxy for requests, and for upgrades (WebSockets). */
export interface CallProxy {
  handle: NodeRoute<LocalAccess>['handle'];
  upgrade: NonNullable<NodeRoute<LocalAccess>['upgrade']>;
}

/** One route of the agent's local API. */
export type LocalRoute = RouteRecord<LocalAccess>;

const AcceptedSchema = z.object({
  stream: z.string(),
  accepted: z.number().int(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
});

/**
 * The agent's local API, one record per route: liveness (public), Prometheus metrics, status, routes, local
 * services, reports into the outbox, and `/call` through the hub (the `proxy`, on plain node:http streams). Every
 * route but `/healthz` is `local`: it needs the API token when one is set.
 */
export function apiRoutes(backend: ApiBackend, proxy: CallProxy): LocalRoute[] {
  const common = { access: 'local', tag: 'agent', responses: {} } as const;
  return [
    defineRoute({
      ...common,
      method: 'get',
      path: '/healthz',
      access: 'public',
      summary: 'Liveness',
      handle: (c) => c.json({ ok: true }),
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      handle: async (c) => {
        const { body, contentType } = await backend.metrics();
        return c.body(body, 200, { 'content-type': contentType });
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/v1/status',
      summary: 'Status',
      handle: (c) => c.json(backend.status()),
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/v1/routes',
      summary: 'Every route the agent knows',
      handle: (c) => c.json({ routes: backend.listRoutes().map((r) => ({ key: routeKey(r), ...r })) }),
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/v1/listeners',
      summary: 'TCP listeners (--listen) and their bound ports',
      handle: (c) => c.json({ listeners: backend.listeners() }),
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/v1/services',
      summary: 'Local services',
      handle: (c) => c.json({ services: backend.listServices() }),
    }),
    defineRoute({
      ...common,
      method: 'post',
      path: '/v1/services',
      summary: 'Add a local service (JSON only)',
      body: ServiceInputSchema,
      maxBodyBytes: 64 * 1024,
      handle: async (c, { body }) => c.json(await backend.addService(body), 201),
    }),
    defineRoute({
      ...common,
      method: 'delete',
      path: '/v1/services/:name',
      summary: 'Remove a local service (every instance, or the one at ?url=)',
      params: z.strictObject({ name: z.string() }),
      query: z.strictObject({ url: z.string().optional() }),
      handle: async (c, { params, query }) => {
        await backend.removeService(params.name, query.url);
        return c.body(null, 204);
      },
    }),
    // 202 only once the reports are committed (fsynced) in the outbox.
    defineRoute({
      ...common,
      method: 'post',
      path: '/v1/reports/:stream',
      summary: 'Store reports durably: JSON (one), NDJSON (one a line) or any bytes with their content type',
      params: z.strictObject({ stream: z.string() }),
      rawBody: { types: '*', maxBytes: MAX_REQUEST_BYTES },
      responses: { 202: { description: 'committed', schema: AcceptedSchema } },
      handle: async (c, { params, body }) => {
        const stream = parseStream(params.stream);
        // A rawBody route's body is the bytes the front door read, within maxBytes.
        const reports = parseReportBody(c.req.header('content-type'), Buffer.from(body as Uint8Array));
        const accepted = await backend.acceptReports(stream, reports);
        return c.json(
          { stream, accepted: reports.length, firstSeq: accepted.first, lastSeq: accepted.last },
          202,
        );
      },
    }),
    {
      ...common,
      serve: 'node',
      method: 'all',
      path: '/call/:service/*',
      summary: 'Call a service through the hub, as this agent (an Upgrade, e.g. a WebSocket, too)',
      handle: proxy.handle,
      upgrade: proxy.upgrade,
    },
  ];
}
