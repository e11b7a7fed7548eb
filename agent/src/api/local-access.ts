import { timingSafeEqual, createHash } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from '@tether/shared';

/** Who may use the agent's local API: its access levels. `local` needs the API token when one is set. */
export type LocalAccess = 'public' | 'local';

/** What the local API accepts beyond loopback: operator settings. */
export interface LocalAccessPolicy {
  /** The address the API listens on (`--api-host`): also a valid `Host`, unless a wildcard. */
  bindHost: string;
  /** More names the `Host` header may carry (`--api-allow-host`), e.g. the device's name on a LAN. */
  allowedHosts: readonly string[];
  /** Origins whose pages may call the API (`--api-allow-origin`, e.g. `http://localhost:3000`). */
  allowedOrigins: readonly string[];
  /** When set, every route but `/healthz` needs `Authorization: Bearer <token>` (`--api-token`). */
  token?: string | undefined;
}

/** The request headers the policy reads (node's lower-cased header object). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** The host name of a `Host` header, lower case, without its port (`[::1]:7070` -> `::1`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  if (colon < 0 || h.indexOf(':', colon + 1) >= 0) return h; // no port, or a bare IPv6 address
  return h.slice(0, colon);
}

/** True for names that can only mean this machine: `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The screen every request to the local API passes before routing, against cross-site requests from a browser on
 * the device and DNS rebinding: the `Host` must name this machine (loopback, the bind address, or an allowed
 * name); a request carrying an `Origin` that is not allowed, or a `Sec-Fetch-Site` other than `none` without an
 * allowed origin, is refused. Command-line clients send neither header and pass.
 */
export function screenLocalRequest(
  headers: RequestHeaders,
  policy: LocalAccessPolicy,
): ForbiddenError | undefined {
  const host = first(headers.host);
  const name = host === undefined ? undefined : hostName(host);
  const bind = hostName(policy.bindHost);
  const hostOk =
    name !== undefined &&
    (isLoopbackName(name) ||
      (!WILDCARDS.has(bind) && name === bind) ||
      policy.allowedHosts.some((h) => hostName(h) === name));
  if (!hostOk)
    return new ForbiddenError(
      `Host ${JSON.stringify(host ?? '')} is not this agent's: use 127.0.0.1 or localhost, or allow the name ` +
        'with --api-allow-host',
    );
  const origin = first(headers.origin);
  const site = first(headers['sec-fetch-site']);
  const originOk = origin !== undefined && policy.allowedOrigins.includes(origin);
  if (origin !== undefined && !originOk)
    return new ForbiddenError(
      `cross-origin request from ${JSON.stringify(origin).slice(0, 200)} refused: allow the origin with ` +
        '--api-allow-origin',
    );
  // The API serves no pages: a browser request not typed by the user (`none`) comes from some page, even one
  // opened through this API's own /call.
  if (site !== undefined && site !== 'none' && !originOk)
    return new ForbiddenError(`a ${site} request is refused: allow its origin with --api-allow-origin`);
  return undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Decides a request's access: `local` needs the API token (compared in constant time) when one is set. */
export function authorizeLocal(
  headers: RequestHeaders,
  access: LocalAccess,
  token: string | undefined,
): UnauthorizedError | undefined {
  if (access === 'public' || token === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(first(headers.authorization) ?? '');
  if (m && timingSafeEqual(digest(m[1]!), digest(token))) return undefined;
  return new UnauthorizedError(
    'this agent API needs its token: send Authorization: Bearer <token> (TETHER_API_TOKEN for tether-agent report)',
  );
}
