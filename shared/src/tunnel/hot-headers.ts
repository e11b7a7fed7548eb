import { isCallMethod, isCanonicalPath, isCleanQuery } from '../request-target.js';
import type { HeaderList } from './call-types.js';
import type { RequestHeader, ResponseHeader } from './frame-format.js';

/*
 * Hand-written checks of the headers every call carries at both ends (REQUEST, RESPONSE, CREDIT): the same
 * acceptance and the same output as their zod schemas in frame-format.ts (which stay the specification; the
 * property test in shared/test/hot-headers.property.test.ts holds the two equal), at a fraction of the cost: zod's
 * parse of a REQUEST header cost about twice its JSON.parse, on every call in the control plane and the agent.
 * Each takes what JSON.parse returned and gives a new object with only the schema's keys, or undefined.
 */

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isString(v: unknown, min: number, max: number): v is string {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** `[name, value][]` as HeaderListSchema: at most 1000 pairs, names up to 1 KiB, values up to 64 KiB. */
function headerList(v: unknown): HeaderList | undefined {
  if (!Array.isArray(v) || v.length > 1000) return undefined;
  const out: [string, string][] = new Array<[string, string]>(v.length);
  for (let i = 0; i < v.length; i++) {
    const pair: unknown = v[i];
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [name, value] = pair as unknown[];
    if (!isString(name, 0, 1024) || !isString(value, 0, 65_536)) return undefined;
    out[i] = [name, value];
  }
  return out;
}

/** RequestHeaderSchema's parse of `v`, or undefined when it refuses it. */
export function checkRequestHeader(v: unknown): RequestHeader | undefined {
  if (!isRecord(v)) return undefined;
  const { service, target, method, path, query, timeoutMs, caller, hops, body } = v;
  if (!isString(service, 1, 128)) return undefined;
  if (target !== undefined && !isString(target, 0, 2048)) return undefined;
  if (!isString(method, 1, 32) || !isCallMethod(method)) return undefined;
  if (!isString(path, 0, 8192) || !isCanonicalPath(path)) return undefined;
  if (!isString(query, 0, 65_536) || !isCleanQuery(query)) return undefined;
  const headers = headerList(v.headers);
  if (!headers) return undefined;
  if (!isInt(timeoutMs, 0, 86_400_000) || !isString(caller, 1, 200) || !isInt(hops, 0, 100)) return undefined;
  if (typeof body !== 'boolean') return undefined;
  const out: RequestHeader = { service, method, path, query, headers, timeoutMs, caller, hops, body };
  if (target !== undefined) out.target = target;
  return out;
}

/** ResponseHeaderSchema's parse of `v`, or undefined when it refuses it. */
export function checkResponseHeader(v: unknown): ResponseHeader | undefined {
  if (!isRecord(v) || !isInt(v.status, 100, 999)) return undefined;
  const headers = headerList(v.headers);
  return headers ? { status: v.status, headers } : undefined;
}

/** CreditHeaderSchema's parse of `v`, or undefined when it refuses it. */
export function checkCreditHeader(v: unknown): { n: number } | undefined {
  return isRecord(v) && isInt(v.n, 1, 1_000_000) ? { n: v.n } : undefined;
}
