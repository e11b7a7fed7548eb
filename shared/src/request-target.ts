import { ValidationError } from './errors.js';

/** A request target that passed the canonical checks: what is authorised is exactly what is routed and forwarded. */
export interface RequestTarget {
  /** The canonical path: percent-encoded unreserved characters decoded, every other escape in upper case. */
  path: string;
  /** The path's segments (after the leading `/`), fully percent-decoded as UTF-8. */
  segments: string[];
  /** The query after `?` as sent, `''` when none. */
  query: string;
  /** `path`, then `?query` when there is one: the target every later stage sees. */
  url: string;
}

/** A request target refused before any routing or authorisation (HTTP 400). */
export class RequestTargetError extends ValidationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`invalid request target: ${message}`, options);
  }
}

const HEX = '0123456789ABCDEF';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** Characters a path segment may carry unencoded besides unreserved: sub-delims, ":" and "@". */
const SEGMENT_PUNCTUATION = new Set("!$&'()*+,;=:@");

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Why a decoded byte may not appear in a path, or undefined when it may (percent-encoded). */
function forbiddenByte(b: number): string | undefined {
  if (b === 0x2f) return "an encoded '/' (%2F)";
  if (b === 0x5c) return "a '\\' (%5C)";
  if (b < 0x20 || b === 0x7f) return 'a control byte';
  return undefined;
}

interface Segment {
  canonical: string;
  decoded: string;
}

/** A segment of unreserved characters and punctuation only: canonical and decoded as it is (the common case). */
function isPlainSegment(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (!isUnreserved(c) && !SEGMENT_PUNCTUATION.has(raw[i]!)) return false;
  }
  return true;
}

function canonicalSegment(raw: string): Segment {
  if (isPlainSegment(raw)) return { canonical: raw, decoded: raw };
  let canonical = '';
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) throw new RequestTargetError(`a '%' not followed by two hex digits in "${raw}"`);
      const b = hi * 16 + lo;
      const why = forbiddenByte(b);
      if (why) throw new RequestTargetError(`the path contains ${why}`);
      canonical += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[hi]}${HEX[lo]}`;
      bytes.push(b);
      i += 2;
    } else if (isUnreserved(c) || SEGMENT_PUNCTUATION.has(raw[i]!)) {
      canonical += raw[i];
      bytes.push(c);
    } else {
      const why = forbiddenByte(c) ?? (c > 0x7e ? 'a non-ASCII byte' : `'${raw[i]}'`);
      throw new RequestTargetError(`the path contains ${why}: percent-encode it`);
    }
  }
  let decoded: string;
  try {
    decoded = UTF8.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new RequestTargetError('a path segment is not valid UTF-8 once decoded', { cause });
  }
  return { canonical, decoded };
}

/**
 * Parses a raw HTTP request target (node's `req.url`) once, before any routing or authorisation. Refused (400):
 * anything but a path starting with `/`; encoded slashes; backslashes; control, space and non-ASCII bytes; bad
 * escapes or UTF-8; dot segments, literal or encoded in any case (also `..;x`); empty segments (`//`), except a
 * trailing `/`. The query is kept as sent (printable ASCII without `#`).
 */
export function parseRequestTarget(raw: string): RequestTarget {
  if (raw.charCodeAt(0) !== 0x2f)
    throw new RequestTargetError('expected a path starting with "/" (absolute URLs and "*" are not served)');
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c > 0x7e || c === 0x23)
      throw new RequestTargetError(
        "the query contains a control, space, non-ASCII or '#' byte: percent-encode it",
      );
  }
  const parts = rawPath.slice(1).split('/');
  const segments: string[] = [];
  let path = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '' && i < parts.length - 1)
      throw new RequestTargetError("the path contains an empty segment ('//')");
    const { canonical, decoded } = canonicalSegment(part);
    const name = decoded.split(';', 1)[0];
    if (name === '.' || name === '..') throw new RequestTargetError('the path contains a dot segment');
    if (/%(?:2[eEfF]|5[cC])/.test(decoded))
      throw new RequestTargetError(
        "the path contains a double-encoded '.', '/' or '\\' (%252e, %252f, %255c)",
      );
    segments.push(decoded);
    path += `/${canonical}`;
  }
  return { path, segments, query, url: q < 0 ? path : `${path}?${query}` };
}

/** What a `/call/<service>/<path...>` target calls. */
export interface CallTarget {
  /** The service, decoded. */
  service: string;
  /** The rest of the canonical path (`/` when none): exactly what was authorised, forwarded as is. */
  path: string;
  query: string;
}

/** The service and path of a call target (a canonical target under `/call/`, as the call routes match it). */
export function callTarget(target: RequestTarget): CallTarget {
  const end = target.path.indexOf('/', '/call/'.length);
  return {
    service: target.segments[1] ?? '',
    path: end < 0 ? '/' : target.path.slice(end),
    query: target.query,
  };
}

/** True when `path` is a canonical path as parseRequestTarget makes them (what the front doors authorise). */
export function isCanonicalPath(path: string): boolean {
  if (path.includes('?')) return false;
  try {
    return parseRequestTarget(path).path === path;
  } catch {
    return false;
  }
}

/** True for a query as a front door passes it on: printable ASCII without `#`. */
export function isCleanQuery(query: string): boolean {
  return /^[\x21-\x22\x24-\x7e]*$/.test(query);
}

/** The methods a call may use: an upper-case token; CONNECT and TRACE are never forwarded. */
export function isCallMethod(method: string): boolean {
  return /^[A-Z][A-Z-]{0,31}$/.test(method) && method !== 'CONNECT' && method !== 'TRACE';
}
