import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { NotFoundError, ValidationError, type Clock } from '@tether/shared';
import { createApiToken, deleteApiToken, type TokenDeps } from './api-tokens.js';
import { actorOf, type RequestAuth } from './request-auth.js';
import type { TokenSockets } from './token-sockets.js';
import type { TokenRecord } from './token-store.js';

/** What the token endpoints need. */
export interface TokenRoutesDeps extends TokenDeps {
  auth: RequestAuth;
  clock: Clock;
  /** The WebSockets opened with each token: a deleted token's are closed at once. */
  tokenSockets: TokenSockets;
}

/** The principal of a request hono serves (checked on node:http before hono; see RequestAuth). */
export function principalOf(c: Context, auth: RequestAuth): TokenRecord | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ? auth.principalOf(incoming) : undefined;
}

/** The audit actor of a request hono serves (`token:<name>`). */
export function requestActor(c: Context, auth: RequestAuth): string {
  return actorOf(principalOf(c, auth));
}

/** A token as the API shows it: never the token, never its hash. */
function tokenView(t: TokenRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdAt: new Date(t.createdAt).toISOString(),
    createdBy: t.createdBy,
  };
}

/**
 * `GET /api/v1/whoami` (any token), `POST /api/v1/tokens {"role","name"?}` (201, the token shown once),
 * `GET /api/v1/tokens` and `DELETE /api/v1/tokens/:id` (admin; see access-policy; also closes the WebSockets
 * opened with that token).
 */
export function registerTokenRoutes(app: Hono, deps: TokenRoutesDeps): void {
  app.get('/api/v1/whoami', (c) => {
    const p = principalOf(c, deps.auth);
    if (!p) throw new NotFoundError('no token on this request');
    return c.json({ token: { id: p.id, name: p.name, role: p.role } });
  });
  app.post('/api/v1/tokens', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ValidationError('request body must be JSON');
    }
    const created = createApiToken(deps, body, requestActor(c, deps.auth), deps.clock.now());
    return c.json({ token: created.token, ...tokenView(created) }, 201);
  });
  app.get('/api/v1/tokens', (c) => c.json({ tokens: deps.tokens.list().map(tokenView) }));
  app.delete('/api/v1/tokens/:id', (c) => {
    if (!deleteApiToken(deps, c.req.param('id'), requestActor(c, deps.auth)))
      throw new NotFoundError(`token "${c.req.param('id')}" not found`);
    deps.tokenSockets.revoke(c.req.param('id'));
    return c.body(null, 204);
  });
}
