import { z } from 'zod';
import { CentralServiceSchema, RouteSchema, ServicePolicySchema, type ResponseSpec } from '@tether/shared';
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
} from '../api/api-schemas.js';
import type { ApiRoute } from './routes/api-route.js';
import { error } from './routes/api-route.js';

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

/** `/api/v1/agents/:id` -> `/api/v1/agents/{id}`; a trailing `*` (the rest of the path) -> `{path}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');
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

/** The query parameters of a strict object schema of strings (each documented by its `describe`). */
function queryParameters(schema: z.ZodType | undefined, writer: SchemaWriter): Json[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const { description, ...fieldSchema } = writer.input(field);
    return {
      name,
      in: 'query',
      required: !field.safeParse(undefined).success,
      ...(description === undefined ? {} : { description }),
      schema: fieldSchema,
    };
  });
}

/** The responses a route's record implies besides its own: refusals of a protected route, 415 of a JSON body. */
function impliedResponses(route: ApiRoute): Record<number, ResponseSpec> {
  const implied: Record<number, ResponseSpec> = {};
  if (route.access !== 'public') {
    implied[401] = error('no bearer token, or not a valid one');
    implied[403] = error('the token’s role may not do this');
  }
  if (route.serve === 'hono' && route.body) implied[415] = error('the body is not application/json');
  return implied;
}

function operationObject(route: ApiRoute, method: string, writer: SchemaWriter): Json {
  const parameters: Json[] = [];
  for (const match of openApiPath(route.path).matchAll(/\{([A-Za-z0-9_]+)\}/g))
    parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  parameters.push(...queryParameters(route.query, writer));
  const responses: Json = {};
  for (const [code, r] of Object.entries({ ...route.responses, ...impliedResponses(route) })) {
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
  const id = `${method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`;
  const body = route.serve === 'hono' ? route.body : undefined;
  return {
    operationId: id,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.serve === 'websocket' ? { 'x-websocket': true } : {}),
    'x-tether-access': route.access,
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(body
      ? { requestBody: { required: true, content: { 'application/json': { schema: writer.input(body) } } } }
      : {}),
    responses,
  };
}

const NODE_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table (the same records the router and the
 * access checks use) and the zod schemas. Routes marked `undocumented` (the dashboard's) are left out.
 */
export function openApiDocument(version: string, routes: readonly ApiRoute[]): Json {
  const writer = new SchemaWriter(NAMED);
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    if (route.undocumented) continue;
    const path = openApiPath(route.path);
    const methods = route.method === 'all' ? NODE_METHODS : [route.method];
    for (const method of methods)
      paths[path] = { ...paths[path], [method]: operationObject(route, method, writer) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tether control plane',
      version,
      description:
        'The HTTP API of the hub: agents, routes, services and their policies, reports, live events, and calls ' +
        'through the network. Errors are `{"error":{"code","message"}}`. Each operation says who may call it ' +
        '(`x-tether-access`: public, identified, read, admin, call).',
    },
    tags: [
      'system',
      'agents',
      'routes',
      'services',
      'reports',
      'events',
      'calls',
      'listeners',
      'access',
      'enrollment',
    ].map((name) => ({ name })),
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: writer.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
