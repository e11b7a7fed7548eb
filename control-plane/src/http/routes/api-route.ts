import { z } from 'zod';
import type { ResponseSpec, RouteRecord } from '@tether/shared';
import type { Access } from '../../auth/access-policy.js';

/** One route of the control plane's HTTP port. */
export type ApiRoute = RouteRecord<Access>;

/** A JSON response with its schema. */
export const json = (description: string, schema: z.ZodType): ResponseSpec => ({ description, schema });
/** The error body every failure answers with. */
export const ERROR = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
/** An error response (`{"error":{"code","message"}}`). */
export const error = (description: string): ResponseSpec => ({ description, schema: ERROR });
/** `{key: item[]}`. */
export const list = (key: string, item: z.ZodType) => z.object({ [key]: z.array(item) });
/** `{key: item[], nextCursor}`: one page of a keyset listing (nextCursor null on the last page). */
export const paged = (key: string, item: z.ZodType) =>
  z.object({ [key]: z.array(item), nextCursor: z.string().nullable() });
/** `{status: value}`. */
export const status = (value: string) => z.object({ status: z.literal(value) });
/** A 400 naming the bad field. */
export const BAD = { 400: error('invalid input: the message names the field') } as const;
/** A 404. */
export const MISSING = { 404: error('not found') } as const;
