import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { requiredAccess, roleAllows } from './access-policy.js';
import { resolveToken } from './api-tokens.js';
import type { TokenRecord, TokenStore } from './token-store.js';

/** The WebSocket subprotocol of Tether's streams; the server answers with it. */
export const WS_PROTOCOL = 'tether.v1';
/** Browsers cannot set headers on a WebSocket: they offer `bearer.<token>` as a second subprotocol. */
export const WS_BEARER_PREFIX = 'bearer.';

/** The outcome of checking one request. */
export type AuthDecision =
  | { ok: true; principal: TokenRecord | undefined }
  | { ok: false; status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

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
 * Bearer-token authorisation of every HTTP request and WebSocket upgrade, applied on node:http before the `/call`
 * gateway and hono: public routes pass, a missing or unknown token is 401, a role without the right is 403.
 * Unknown tokens and refusals are audited (coalesced); the presented token is never logged.
 */
export class RequestAuth {
  readonly #d: RequestAuthDeps;
  readonly #principals = new WeakMap<IncomingMessage, TokenRecord>();

  constructor(deps: RequestAuthDeps) {
    this.#d = deps;
  }

  /** Checks a request (or an upgrade, as GET) and remembers its principal for `principalOf`. */
  check(req: IncomingMessage): AuthDecision {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const access = requiredAccess(method, path);
    if (access === 'public') return { ok: true, principal: undefined };
    const presented = bearerToken(req);
    const source = req.socket.remoteAddress;
    if (presented === undefined) return this.#refuse(401, 'missing_token', 'a bearer token is required');
    const principal = resolveToken(this.#d.tokens, presented);
    if (!principal) {
      this.#d.audit.record({ kind: 'auth-failed', source, detail: { via: 'http', reason: 'unknown_token' } });
      return this.#refuse(401, 'unknown_token', 'the bearer token is not valid');
    }
    if (!roleAllows(principal.role, access)) {
      this.#d.audit.record({
        kind: 'acl-denied',
        actor: actorOf(principal),
        source,
        detail: { via: 'http', role: principal.role, method, path: path.slice(0, 200) },
      });
      return this.#refuse(403, 'forbidden', `role ${principal.role} may not ${method} ${path.slice(0, 200)}`);
    }
    this.#principals.set(req, principal);
    return { ok: true, principal };
  }

  /** The token a checked request was made with. */
  principalOf(req: IncomingMessage): TokenRecord | undefined {
    return this.#principals.get(req);
  }

  #refuse(status: 401 | 403, reason: string, message: string): AuthDecision {
    this.#d.metrics.apiAuthFailures.inc({ reason });
    this.#d.logger.debug({ status, reason }, 'api request refused');
    return status === 401
      ? { ok: false, status, code: 'unauthorized', message }
      : { ok: false, status, code: 'forbidden', message };
  }
}

type Refusal = Extract<AuthDecision, { ok: false }>;

function authHeaders(d: Refusal): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (d.status === 401) headers['www-authenticate'] = 'Bearer realm="tether"';
  return headers;
}

/** Answers a refused HTTP request: `{"error":{"code","message"}}`, with `www-authenticate: Bearer` on 401. */
export function sendAuthRefusal(req: IncomingMessage, res: ServerResponse, d: Refusal): void {
  const body = JSON.stringify({ error: { code: d.code, message: d.message } });
  const headers: Record<string, string | number> = {
    ...authHeaders(d),
    'content-length': Buffer.byteLength(body),
  };
  if (!req.complete) {
    // A request body nobody will read: do not keep this connection (nor read megabytes for nothing).
    headers.connection = 'close';
    req.resume();
  }
  res.writeHead(d.status, headers).end(body);
}

/** Answers a refused WebSocket upgrade with the same status, headers and body, then closes the socket. */
export function rejectUpgrade(socket: Duplex, d: Refusal): void {
  const body = JSON.stringify({ error: { code: d.code, message: d.message } });
  const head = Object.entries({ ...authHeaders(d), 'content-length': String(Buffer.byteLength(body)) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const text = d.status === 401 ? 'Unauthorized' : 'Forbidden';
  socket.end(`HTTP/1.1 ${d.status} ${text}\r\nconnection: close\r\n${head}\r\n${body}`);
}
