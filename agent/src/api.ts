import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { TetherError, ValidationError, routeKey, type Route } from '@tether/shared';
import { ServiceInputSchema, type ServiceInput } from './config-schema.js';
import type { AgentLogger } from './logger.js';
import { ReportTooLargeError } from './reports/outbox-errors.js';
import type { Accepted, NewReport, OutboxStats } from './reports/outbox-types.js';
import { MAX_REQUEST_BYTES, parseReportBody, parseStream } from './reports/report-input.js';
import type { UplinkStatus } from './reports/uplink-status.js';
import type { ServiceView } from './service-registry.js';

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
}

const STATUS_BY_CODE: Record<string, 400 | 401 | 403 | 404 | 409 | 413 | 504 | 507> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  conflict: 409,
  timeout: 504,
  too_large: 413,
  outbox_full: 507,
};

/** The agent's localhost API (hono): local services, known routes, status, liveness and Prometheus metrics. */
export function createApi(backend: ApiBackend, logger: AgentLogger): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/metrics', async (c) => {
    const { body, contentType } = await backend.metrics();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.get('/v1/status', (c) => c.json(backend.status()));
  app.get('/v1/routes', (c) =>
    c.json({ routes: backend.listRoutes().map((r) => ({ key: routeKey(r), ...r })) }),
  );
  app.get('/v1/services', (c) => c.json({ services: backend.listServices() }));

  app.post('/v1/services', async (c) => {
    const input = parseBody(ServiceInputSchema, await readJson(c));
    return c.json(await backend.addService(input), 201);
  });

  app.delete('/v1/services/:name', async (c) => {
    await backend.removeService(c.req.param('name'), c.req.query('url'));
    return c.body(null, 204);
  });

  // 202 only once the reports are committed (fsynced) in the outbox.
  app.post('/v1/reports/:stream', async (c) => {
    const stream = parseStream(c.req.param('stream'));
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_REQUEST_BYTES)
      throw new ReportTooLargeError(`body of ${length} bytes exceeds ${MAX_REQUEST_BYTES}`);
    const body = Buffer.from(await c.req.arrayBuffer());
    const reports = parseReportBody(c.req.header('content-type'), body);
    const accepted = await backend.acceptReports(stream, reports);
    return c.json(
      { stream, accepted: reports.length, firstSeq: accepted.first, lastSeq: accepted.last },
      202,
    );
  });

  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404),
  );

  app.onError((err, c) => {
    if (err instanceof TetherError) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      return c.json({ error: { code: err.code, message: err.message } }, status);
    }
    logger.error({ err: err.message, path: c.req.path }, 'API request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  return app;
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (err) {
    throw new ValidationError(`request body is not JSON: ${(err as Error).message}`);
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ValidationError(z.prettifyError(parsed.error));
  return parsed.data;
}
