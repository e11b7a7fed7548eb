import type { IncomingMessage } from 'node:http';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import {
  NotFoundError,
  PayloadTooLargeError,
  TetherError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import { CallCancelledError } from '../tunnel/call-errors.js';
import { formatZodError } from '../zod-issues.js';
import { errorAnswer } from './error-response.js';
import type { HonoRoute, RouteBase, RouteRecord } from './route-record.js';

/** The largest JSON body a route takes unless it says otherwise. */
export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;

/** How a routed app decides access and reports what went wrong. */
export interface RoutedAppOptions<A extends string> {
  /** Decides a request's access on the route that matched (its record); the error to answer with, or undefined to go on. */
  authorize(req: IncomingMessage, route: RouteBase<A>): Error | undefined;
  /** Told of errors that are not Tether's own (answered 500 `internal`). */
  onInternalError(err: unknown, c: Context): void;
  /** Middleware run before every route (request ids, logs). */
  middleware?: MiddlewareHandler[];
}

/** The node:http request under a hono context (@hono/node-server puts it in `env.incoming`). */
export function incomingOf(c: Context): IncomingMessage {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) throw new Error('routed apps run on @hono/node-server');
  return incoming;
}

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`invalid ${where}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBytes(c: Context, max: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > max)
    throw new PayloadTooLargeError(`request body of ${declared} bytes is over the limit of ${max}`);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) throw new PayloadTooLargeError(`request body is over the limit of ${max} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof TetherError) throw err;
    // The client went away mid-body: not a server error.
    throw new CallCancelledError('the client went away before sending the whole body', { cause: err });
  }
  return Buffer.concat(chunks);
}

async function jsonBody(c: Context, route: HonoRoute<string>): Promise<unknown> {
  if (mediaType(c) !== 'application/json')
    throw new UnsupportedMediaTypeError(
      `${route.method.toUpperCase()} ${route.path} takes a JSON body: send content-type: application/json`,
    );
  const text = Buffer.from(await readBytes(c, route.maxBodyBytes ?? DEFAULT_MAX_JSON_BYTES)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`request body is not JSON: ${(cause as Error).message}`, { cause });
  }
}

function checkRawType(c: Context, route: HonoRoute<string>): void {
  const types = route.rawBody?.types;
  if (!types || types === '*' || types.includes(mediaType(c))) return;
  throw new UnsupportedMediaTypeError(
    `${route.method.toUpperCase()} ${route.path} takes content-type ${types.join(', ')}`,
  );
}

function handlerOf<A extends string>(route: HonoRoute<A>, options: RoutedAppOptions<A>) {
  return async (c: Context): Promise<Response> => {
    const refusal = options.authorize(incomingOf(c), route);
    if (refusal) throw refusal;
    const params = validate(route.params, c.req.param(), 'path parameter');
    const query = validate(route.query, c.req.query(), 'query');
    checkRawType(c, route);
    const body = route.body
      ? validate(route.body, await jsonBody(c, route), 'body')
      : route.rawBody
        ? await readBytes(c, route.rawBody.maxBytes)
        : undefined;
    return route.handle(c, { params, query, body });
  };
}

/** The JSON 404 of a path no route serves. */
export function notFound(c: Context): Response {
  const answer = errorAnswer(new NotFoundError(`no route for ${c.req.method} ${c.req.path}`));
  return c.body(answer.body, 404, answer.headers);
}

/**
 * A hono app serving the `serve: 'hono'` records of a route table, and nothing else. Each route runs its own
 * access check first (so access is decided on the route that matched), then validates its path parameters, query
 * and JSON body against its schemas. Errors answer `{"error":{"code","message"}}` with the status of their code.
 */
export function createRoutedApp<A extends string>(
  routes: readonly RouteRecord<A>[],
  options: RoutedAppOptions<A>,
): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    const answer = errorAnswer(err);
    if (!(err instanceof TetherError)) options.onInternalError(err, c);
    // A body nobody read (a refusal before it): close the connection rather than drain it.
    if (!incomingOf(c).complete) answer.headers.connection = 'close';
    return c.body(answer.body, answer.status as 500, answer.headers);
  });
  app.notFound(notFound);
  for (const m of options.middleware ?? []) app.use(m);
  for (const route of routes)
    if (route.serve === 'hono') app.on(route.method.toUpperCase(), route.path, handlerOf(route, options));
  return app;
}
