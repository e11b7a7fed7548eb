/** The access levels of the control plane's routes. */
export type IntendedAccess = 'public' | 'identified' | 'read' | 'admin' | 'call';

/** Routes anyone may use: probes, metrics, the broker's WebSocket, enrollment and the API document. */
const PUBLIC = [
  'get /healthz',
  'get /readyz',
  'get /metrics',
  'get /mqtt',
  'post /api/v1/enroll',
  'get /api/v1/openapi.json',
];

/**
 * What each operation of the control plane's API should need (`method` lower case, `path` in hono or OpenAPI form),
 * stated here apart from the server's code: the oracle of the access tests.
 */
export function intendedAccess(method: string, path: string): IntendedAccess {
  if (PUBLIC.includes(`${method} ${path}`)) return 'public';
  if (path === '/api/v1/whoami') return 'identified';
  if (path.startsWith('/call/')) return 'call';
  if (method === 'get' && path !== '/api/v1/tokens' && path !== '/api/v1/audit') return 'read';
  return 'admin';
}
