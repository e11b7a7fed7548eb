import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AgentViewSchema,
  KeyedRouteSchema,
  openApiPath,
  ServiceDetailSchema,
  ServiceViewSchema,
  StreamViewSchema,
  TimedEventSchema,
  TopologySchema,
  type ControlPlane,
} from '../src/index.js';
import {
  addAgent,
  adminAuth,
  connectAgent,
  edgeRoute,
  snapshot,
  startTestControlPlane,
  waitFor,
} from './helpers.js';

/** Hono registrations that are not middleware (`ALL`), as `method path`. */
function honoRoutes(cp: ControlPlane): string[] {
  return [
    ...new Set(
      cp.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path}`),
    ),
  ].sort();
}

describe('OpenAPI document', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let base: string;
  let dir: string;
  let doc: { paths: Record<string, Record<string, unknown>> };

  beforeAll(async () => {
    ({ cp, stop, dir } = await startTestControlPlane());
    base = `http://127.0.0.1:${cp.ports.http}`;
    doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as typeof doc;
  });
  afterAll(() => stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('documents every route of the table but the dashboard’s, and hono serves exactly the table’s hono routes', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
      .sort();
    const methodsOf = (method: string) =>
      method === 'all' ? ['get', 'post', 'put', 'patch', 'delete'] : [method];
    const table = cp.routes
      .filter((r) => !r.undocumented)
      .flatMap((r) => methodsOf(r.method).map((m) => `${m} ${openApiPath(r.path)}`))
      .sort();
    expect(table.length).toBeGreaterThan(25);
    expect(documented).toEqual(table);
    const hono = cp.routes.filter((r) => r.serve === 'hono').map((r) => `${r.method} ${r.path}`);
    expect(honoRoutes(cp)).toEqual([...new Set(hono)].sort());
    // Each protected operation says how to authenticate and what refusals look like.
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(
        methods as Record<string, { 'x-tether-access': string; responses: Record<string, unknown> }>,
      ))
        if (op['x-tether-access'] !== 'public')
          expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
  });

  it('describes what the handlers really answer', async () => {
    const secret = addAgent(cp, 'edge-doc');
    const agent = await connectAgent(cp, 'edge-doc', secret);
    await agent.publish(snapshot([edgeRoute('edge-doc', 'docs', 'http://127.0.0.1:9')]));
    await waitFor(() => cp.table.count({ origin: 'edge-doc' }) === 1, 3000, 'the snapshot');
    const check = async (path: string, schema: z.ZodType): Promise<void> => {
      const res = await fetch(base + path, { headers: adminAuth(dir) });
      expect(res.status, path).toBe(200);
      const parsed = schema.safeParse(await res.json());
      expect(parsed.success ? [] : parsed.error.issues, path).toEqual([]);
    };
    await check('/api/v1/agents', z.object({ agents: z.array(AgentViewSchema) }));
    await check('/api/v1/agents/edge-doc', AgentViewSchema);
    await check('/api/v1/agents/edge-doc/events', z.object({ events: z.array(TimedEventSchema).min(1) }));
    await check('/api/v1/routes', z.object({ routes: z.array(KeyedRouteSchema).min(1) }));
    await check('/api/v1/services', z.object({ services: z.array(ServiceViewSchema).min(1) }));
    await check('/api/v1/services/docs', ServiceDetailSchema);
    await check('/api/v1/streams', z.object({ streams: z.array(StreamViewSchema) }));
    await check('/api/v1/topology', TopologySchema);
    // The security routes' documented answers (the schemas come from the document itself).
    const documented = (path: string, method: string, status: number) => {
      const op = cp.routes.find((o) => o.path === path && o.method === method);
      const schema = op?.responses[status]?.schema;
      if (!schema) throw new Error(`${method} ${path} ${status} is not documented with a schema`);
      return schema;
    };
    await check('/api/v1/whoami', documented('/api/v1/whoami', 'get', 200));
    await check('/api/v1/tokens', documented('/api/v1/tokens', 'get', 200));
    await check('/api/v1/audit', documented('/api/v1/audit', 'get', 200));
    await agent.end();
  });
});
