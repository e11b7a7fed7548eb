import type { Context } from 'hono';
import { z } from 'zod';
import { defineRoute, NotFoundError, type Clock } from '@tether/shared';
import { AUDIT_KINDS, type AuditLog } from '../../audit/audit-log.js';
import { AuditPageSchema } from '../../api/api-schemas.js';
import { auditPage, parseAuditQuery } from '../../audit/audit-page.js';
import {
  createApiToken,
  deleteApiToken,
  TokenRequestSchema,
  tokenView,
  TokenViewSchema,
} from '../../auth/api-tokens.js';
import type { TokenSockets } from '../../auth/token-sockets.js';
import type { TokenRecord, TokenStore } from '../../auth/token-store.js';
import { error, json, MISSING, type ApiRoute } from './api-route.js';

/** What the access routes need. */
export interface AccessRoutesDeps {
  tokens: TokenStore;
  audit: AuditLog;
  clock: Clock;
  /** The WebSockets and long calls opened with each token: a deleted token's are ended at once. */
  tokenSockets: TokenSockets;
  /** The token a request was authorised with. */
  principal(c: Context): TokenRecord | undefined;
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

const AuditQuery = z.strictObject({
  agent: z.string().describe('only this agent').optional(),
  kind: z.enum(AUDIT_KINDS).describe('only this kind').optional(),
  actor: z.string().describe('only this actor (token:<name>, cli, apply, hub, broker)').optional(),
  order: z.enum(['asc', 'desc']).describe('asc: oldest first (default); desc: newest first').optional(),
  since: z.string().describe('ISO time or epoch ms: rows last seen at or after it').optional(),
  limit: z.string().describe('rows per page (1-1000)').optional(),
  cursor: z.string().describe('nextCursor of the previous page').optional(),
});

/** Who am I (any token); API tokens and the audit log (admin). */
export function accessRoutes(deps: AccessRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/whoami',
      access: 'identified',
      tag: 'access',
      summary: 'The token of this request (any role)',
      responses: {
        200: json(
          'the token',
          z.object({ token: TokenViewSchema.pick({ id: true, name: true, role: true }) }),
        ),
      },
      handle: (c) => {
        const p = deps.principal(c);
        if (!p) throw new NotFoundError('no token on this request');
        return c.json({ token: { id: p.id, name: p.name, role: p.role } });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tokens',
      access: 'admin',
      tag: 'access',
      summary: 'Create an API token (admin); the token is shown once',
      body: TokenRequestSchema,
      responses: {
        201: json('created', TokenViewSchema.extend({ token: z.string() })),
        400: error('invalid role or name'),
        409: error('a token with this name exists'),
      },
      handle: (c, { body }) => {
        const created = createApiToken(deps, body, deps.actor(c), deps.clock.now());
        return c.json({ token: created.token, ...tokenView(created) }, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tokens',
      access: 'admin',
      tag: 'access',
      summary: 'List API tokens (admin; never the tokens)',
      responses: { 200: json('tokens', z.object({ tokens: z.array(TokenViewSchema) })) },
      handle: (c) => c.json({ tokens: deps.tokens.list().map(tokenView) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/tokens/:id',
      access: 'admin',
      tag: 'access',
      summary: 'Delete an API token (admin), effective at once for its WebSockets and long calls too',
      params: z.strictObject({ id: z.string() }),
      responses: { 204: { description: 'deleted' }, ...MISSING },
      handle: (c, { params: { id } }) => {
        if (!deleteApiToken(deps, id, deps.actor(c))) throw new NotFoundError(`token "${id}" not found`);
        deps.tokenSockets.revoke(id);
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/audit',
      access: 'admin',
      tag: 'access',
      summary: 'Security events and changes, oldest first or newest first (admin)',
      query: AuditQuery,
      responses: {
        200: json('a page', AuditPageSchema),
        400: error('invalid parameter'),
      },
      handle: (c, { query }) => c.json(auditPage(deps.audit, parseAuditQuery(query))),
    }),
  ];
}
