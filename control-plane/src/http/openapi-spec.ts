import { z } from 'zod';

/** One response of an operation. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

/** A query parameter (always a string on the wire). */
export interface QuerySpec {
  description: string;
  enum?: string[];
}

/** One documented HTTP operation. Path parameters (`:name`) are derived from the path. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  /** The path as hono spells it (`/api/v1/agents/:id`). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  query?: Record<string, QuerySpec>;
  /** The request body's schema (documented as the input: defaults are optional). */
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /**
   * Served in front of hono (WebSocket upgrades, the `/call` gateway): documented, but not in `app.routes`.
   * `websocket` ones are GET upgrades answering 101.
   */
  outside?: 'websocket' | 'gateway';
}

/** A JSON response with its schema. */
export const json = (description: string, schema: z.ZodType): ResponseSpec => ({ description, schema });
/** An error response (`{"error":{"code","message"}}`). */
export const error = (description: string): ResponseSpec => ({ description, schema: ERROR });
/** The error body every failure answers with. */
export const ERROR = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
/** `{key: item[]}`. */
export const list = (key: string, item: z.ZodType) => z.object({ [key]: z.array(item) });
/** `{status: value}`. */
export const status = (value: string) => z.object({ status: z.literal(value) });
