import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { RequestTarget } from '../request-target.js';

/** The HTTP methods a route record may name. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One documented response of a route. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

/** What a handler gets: its path parameters, query and body, each validated by the route's schema. */
export interface RouteInput<P = Record<string, string>, Q = Record<string, string>, B = undefined> {
  params: P;
  query: Q;
  body: B;
}

/** What every route record says, whoever serves it. `A` is the server's access levels. */
export interface RouteBase<A extends string> {
  /** The path as hono spells it (`/api/v1/agents/:id`, `/call/:service/*`). */
  path: string;
  /** Who may call it; decided on this record, after the request target was made canonical. */
  access: A;
  tag: string;
  summary: string;
  description?: string;
  /** Query parameters (a strict object of strings: an unknown parameter is a 400). */
  query?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /** Left out of the API document (the dashboard's pages and assets). */
  undocumented?: true;
}

/** A route hono serves: access, then input validation, then `handle`. */
export interface HonoRoute<A extends string> extends RouteBase<A> {
  serve: 'hono';
  method: HttpMethod;
  /** Path parameters, decoded. */
  params?: z.ZodType;
  /** A JSON body (content-type application/json, at most `maxBodyBytes`). */
  body?: z.ZodType;
  /** A body of bytes (the handler's `body`, a Uint8Array): its allowed content types (`*` any) and size limit. */
  rawBody?: { types: readonly string[] | '*'; maxBytes: number };
  /** The largest JSON body taken (default 1 MiB). */
  maxBodyBytes?: number;
  handle(c: Context, input: RouteInput<unknown, unknown, unknown>): Response | Promise<Response>;
}

/** A route served on node:http in front of hono, for every method (the call gateways, on plain streams). */
export interface NodeRoute<A extends string> extends RouteBase<A> {
  serve: 'node';
  method: 'all';
  /** Takes the request; `target` is the canonical target that was authorised. */
  handle(req: IncomingMessage, res: ServerResponse, target: RequestTarget): void;
  /** Takes an HTTP Upgrade (a WebSocket) to the same path, once authorised on this record (any method). */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, target: RequestTarget): void;
}

/** A WebSocket endpoint: a GET upgrade. */
export interface UpgradeRoute<A extends string> extends RouteBase<A> {
  serve: 'websocket';
  method: 'get';
  /** Takes the upgrade once authorised and its query validated. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, query: unknown): void;
}

/** One route of an HTTP server: the single record the router, the access check and the API document derive from. */
export type RouteRecord<A extends string> = HonoRoute<A> | NodeRoute<A> | UpgradeRoute<A>;

/** The fields `defineRoute` infers handler input types from. */
type HonoRouteSpec<A extends string, P, Q, B> = Omit<
  HonoRoute<A>,
  'serve' | 'handle' | 'params' | 'query' | 'body'
> & {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  handle(c: Context, input: RouteInput<P, Q, B>): Response | Promise<Response>;
};

/** A hono-served route record whose handler input is typed by its schemas. */
export function defineRoute<
  A extends string,
  P = Record<string, string>,
  Q = Record<string, string>,
  B = unknown,
>(spec: HonoRouteSpec<A, P, Q, B>): HonoRoute<A> {
  return { ...spec, serve: 'hono' };
}
