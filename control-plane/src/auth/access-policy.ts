import { z } from 'zod';

/** The roles of API tokens: `admin` everything, `viewer` reads, `caller` only calls through `/call/...`. */
export const ROLES = ['admin', 'viewer', 'caller'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];
/** A role, validated. */
export const RoleSchema = z.enum(ROLES);

/**
 * The routes anyone may use without a token. Everything else needs a bearer token (deny by default):
 * liveness/readiness/metrics for probes and scrapers, `/mqtt` (agents authenticate inside MQTT CONNECT),
 * enrollment (the grant in the body is the credential) and the OpenAPI document; plus every GET of the dashboard.
 */
export const PUBLIC_ROUTES: readonly { method: string; path: string }[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/mqtt' },
  { method: 'POST', path: '/api/v1/enroll' },
  { method: 'GET', path: '/api/v1/openapi.json' },
];

/** Path prefixes of the API, the gateway and the broker; any other GET is the dashboard's page or its assets. */
const NON_DASHBOARD_PREFIXES = ['/api', '/call', '/mqtt', '/metrics', '/healthz', '/readyz'];

/** True for the dashboard's page and assets: public, they hold no data (the page then asks for a token). */
function isDashboardPath(path: string): boolean {
  return !NON_DASHBOARD_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** What a request needs: nothing, any valid token, read access, admin rights, or the right to call services. */
export type Access = 'public' | 'identified' | 'read' | 'admin' | 'call';

/** Paths only admins may read (they reveal who holds tokens or every security event). */
const ADMIN_READ_PREFIXES = ['/api/v1/audit', '/api/v1/tokens'];

/** The access a request needs (HEAD counts as GET). */
export function requiredAccess(method: string, path: string): Access {
  const m = method === 'HEAD' ? 'GET' : method;
  if (PUBLIC_ROUTES.some((r) => r.method === m && r.path === path)) return 'public';
  if (m === 'GET' && isDashboardPath(path)) return 'public';
  if (path === '/call' || path.startsWith('/call/')) return 'call';
  if (path === '/api/v1/whoami') return 'identified';
  if (m === 'GET' && !ADMIN_READ_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return 'read';
  return 'admin';
}

/** True when `role` grants `access`. */
export function roleAllows(role: Role, access: Access): boolean {
  switch (access) {
    case 'public':
    case 'identified':
      return true;
    case 'read':
      return role === 'admin' || role === 'viewer';
    case 'call':
      return role === 'admin' || role === 'caller';
    case 'admin':
      return role === 'admin';
    default: {
      const unreachable: never = access;
      return unreachable;
    }
  }
}
