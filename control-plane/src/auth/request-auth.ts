import type { IncomingMessage } from 'node:http';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ForbiddenError, UnauthorizedError } from '@tether/shared';
import { roleAllows, type Access } from './access-policy.js';
import { resolveToken } from './api-tokens.js';
import type { TokenRecord, TokenStore } from './token-store.js';

/** The WebSocket subprotocol of Tether's streams; the server answers with it. */
export const WS_PROTOCOL = 'tether.v1';
/** Browsers cannot set headers on a WebSocket: they offer `bearer.<token>` as a second subprotocol. */
export const WS_BEARER_PREFIX = 'bearer.';

/** What request authorisation needs. */
export interface RequestAuthDeps {
  tokens: TokenStore;
  audit: AuditLog;
  metrics: Metrics;
  logger: Logger;
}

/** The bearer token of a request: `Authorization: Bearer <t>`, else a `bearer.<t>` WebSocket subprotocol. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (!protocols) return undefined;
  for (const p of protocols.split(',')) {
    const value = p.trim();
    if (value.startsWith(WS_BEARER_PREFIX)) return value.slice(WS_BEARER_PREFIX.length);
  }
  return undefined;
}

/** The audit actor of a token (`token:<name>`). */
export function actorOf(principal: TokenRecord | undefined): string {
  return principal ? `token:${principal.name}` : 'anonymous';
}

/**
 * Bearer-token authorisation of every HTTP request and WebSocket upgrade, on the access its matched route record
 * says: public routes pass, a missing or unknown token is 401, a role without the right is 403. Unknown tokens and
 * refusals are audited (coalesced); the presented token is never logged.
 */
export class RequestAuth {
  readonly #d: RequestAuthDeps;
  readonly #principals = new WeakMap<IncomingMessage, TokenRecord>();

  constructor(deps: RequestAuthDeps) {
    this.#d = deps;
  }

  /**
   * Decides a request (or an upgrade) on the route it matched: its `access`, and its `path` pattern in what is
   * audited (never the raw path, so refusals coalesce per route). Remembers the principal for `principalOf`.
   */
  authorize(
    req: IncomingMessage,
    route: { access: Access; path: string },
  ): UnauthorizedError | ForbiddenError | undefined {
    const access = route.access;
    if (access === 'public') return undefined;
    const presented = bearerToken(req);
    const source = req.socket.remoteAddress;
    if (presented === undefined) return this.#refuse(401, 'missing_token', 'a bearer token is required');
    const principal = resolveToken(this.#d.tokens, presented);
    if (!principal) {
      this.#d.audit.record({ kind: 'auth-failed', source, detail: { via: 'http', reason: 'unknown_token' } });
      return this.#refuse(401, 'unknown_token', 'the bearer token is not valid');
    }
    const method = req.method ?? 'GET';
    const path = route.path;
    if (!roleAllows(principal.role, access)) {
      this.#d.audit.record({
        kind: 'acl-denied',
        actor: actorOf(principal),
        source,
        detail: { via: 'http', role: principal.role, method, path },
      });
      return this.#refuse(403, 'forbidden', `role ${principal.role} may not ${method} ${path}`);
    }
    this.#principals.set(req, principal);
    return undefined;
  }

  /** The token a checked request was made with. */
  principalOf(req: IncomingMessage): TokenRecord | undefined {
    return this.#principals.get(req);
  }

  #refuse(status: 401 | 403, reason: string, message: string): UnauthorizedError | ForbiddenError {
    this.#d.metrics.apiAuthFailures.inc({ reason });
    this.#d.logger.debug({ status, reason }, 'api request refused');
    return status === 401
      ? new UnauthorizedError(`${message}: send Authorization: Bearer <token>`)
      : new ForbiddenError(`${message}: use a token with the right role`);
  }
}
