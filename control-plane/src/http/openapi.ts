import { z } from 'zod';
import { CentralServiceSchema, RouteSchema, ServicePolicySchema } from '@tether/shared';
import {
  AgentViewSchema,
  ControlPlaneEventSchema,
  InstanceViewSchema,
  KeyedRouteSchema,
  ReportViewSchema,
  ServiceDetailSchema,
  ServiceViewSchema,
  StatsEventSchema,
  StreamViewSchema,
  TopologySchema,
} from './api-schemas.js';
import { OPERATIONS, type Operation } from './openapi-operations.js';

type Json = Record<string, unknown>;

/** Response schemas worth a name in `components.schemas` (everything else is inlined). */
const NAMED: Record<string, z.ZodType> = {
  Agent: AgentViewSchema,
  Route: RouteSchema,
  KeyedRoute: KeyedRouteSchema,
  CentralService: CentralServiceSchema,
  Service: ServiceViewSchema,
  ServiceDetail: ServiceDetailSchema,
  Instance: InstanceViewSchema,
  ServicePolicy: ServicePolicySchema,
  Report: ReportViewSchema,
  Stream: StreamViewSchema,
  Topology: TopologySchema,
  Event: ControlPlaneEventSchema,
  StatsEvent: StatsEventSchema,
};

/** `/api/v1/agents/:id` -> `/api/v1/agents/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Converts zod schemas to JSON Schema 2020-12, hoisting named ones into `components.schemas`. */
class SchemaWriter {
  readonly components: Record<string, Json> = {};
  readonly #registry = z.registry<{ id: string }>();

  constructor(named: Record<string, z.ZodType>) {
    for (const [id, schema] of Object.entries(named)) this.#registry.add(schema, { id });
  }

  /** A response (output) schema: named parts become `$ref`s. */
  output(schema: z.ZodType): Json {
    const converted = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'output',
      metadata: this.#registry,
      unrepresentable: 'any',
    }) as Json;
    const { $schema: _s, $defs, ...rest } = converted;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>))
      this.components[id] ??= rewriteRefs(def);
    return rewriteRefs(rest);
  }

  /** A request (input) schema, inlined: defaults make fields optional, so it differs from the named output. */
  input(schema: z.ZodType): Json {
    const { $schema: _s, ...rest } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }) as Json;
    return rest;
  }
}

function rewriteRefs(value: Json): Json {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}

function operationObject(op: Operation, writer: SchemaWriter): Json {
  const parameters: Json[] = [];
  for (const match of op.path.matchAll(/:([A-Za-z0-9_]+)/g))
    parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  for (const [name, q] of Object.entries(op.query ?? {}))
    parameters.push({
      name,
      in: 'query',
      required: false,
      description: q.description,
      schema: q.enum ? { type: 'string', enum: q.enum } : { type: 'string' },
    });
  const responses: Json = {};
  for (const [code, r] of Object.entries(op.responses)) {
    responses[code] = {
      description: r.description,
      ...(r.schema || r.contentType
        ? {
            content: {
              [r.contentType ?? 'application/json']: r.schema ? { schema: writer.output(r.schema) } : {},
            },
          }
        : {}),
    };
  }
  const id = `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`;
  return {
    operationId: id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.outside === 'websocket' ? { 'x-websocket': true } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: { required: true, content: { 'application/json': { schema: writer.input(op.body) } } },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the HTTP API, generated from OPERATIONS and the zod schemas. */
export function openApiDocument(version: string, operations: readonly Operation[] = OPERATIONS): Json {
  const writer = new SchemaWriter(NAMED);
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operationObject(op, writer) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tether control plane',
      version,
      description:
        'The HTTP API of the hub: agents, routes, services and their policies, reports, live events, and calls ' +
        'through the network. Errors are `{"error":{"code","message"}}`.',
    },
    tags: ['system', 'agents', 'routes', 'services', 'reports', 'events', 'calls'].map((name) => ({ name })),
    paths,
    components: { schemas: writer.components },
  };
}
