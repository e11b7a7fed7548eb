import { z } from 'zod';
import { EnrollRequestSchema, EnrollResponseSchema } from '@tether/shared';
import { AUDIT_KINDS } from '../audit/audit-log.js';
import { RoleSchema } from '../auth/access-policy.js';
import { TokenRequestSchema } from '../auth/api-tokens.js';
import { GrantRequestSchema } from '../enrollment/grants.js';
import { error, json, type Operation } from './openapi-spec.js';

/** A token as the API shows it: never the token itself, never its hash. */
const TokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});

/** One audit row: `count` identical events between `at` and `lastAt` for coalesced kinds, else 1. */
const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  lastAt: z.string(),
  kind: z.enum(AUDIT_KINDS),
  agentId: z.string().nullable(),
  actor: z.string().nullable(),
  source: z.string().nullable(),
  count: z.number().int(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

/** The operations of identity and access: tokens, audit, enrollment grants, rotation and revocation. */
export const SECURITY_OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/whoami',
    tag: 'access',
    summary: 'The token of this request (any role)',
    responses: {
      200: json('the token', z.object({ token: TokenViewSchema.pick({ id: true, name: true, role: true }) })),
    },
  },
  {
    method: 'post',
    path: '/api/v1/tokens',
    tag: 'access',
    summary: 'Create an API token (admin); the token is shown once',
    body: TokenRequestSchema,
    responses: {
      201: json('created', TokenViewSchema.extend({ token: z.string() })),
      400: error('invalid role or name'),
      409: error('a token with this name exists'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/tokens',
    tag: 'access',
    summary: 'List API tokens (admin; never the tokens)',
    responses: { 200: json('tokens', z.object({ tokens: z.array(TokenViewSchema) })) },
  },
  {
    method: 'delete',
    path: '/api/v1/tokens/:id',
    tag: 'access',
    summary: 'Delete an API token (admin), effective at once',
    responses: { 204: { description: 'deleted' }, 404: error('no such token') },
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    tag: 'access',
    summary: 'Security events, oldest first (admin)',
    query: {
      agent: { description: 'only this agent' },
      kind: { description: 'only this kind', enum: [...AUDIT_KINDS] },
      since: { description: 'ISO time or epoch ms: rows last seen at or after it' },
      limit: { description: 'rows per page (1-1000)' },
      cursor: { description: 'nextCursor of the previous page' },
    },
    responses: {
      200: json(
        'a page',
        z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
      ),
      400: error('invalid parameter'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/grants',
    tag: 'enrollment',
    summary: 'Create a single-use enrollment grant (admin); shown once',
    body: GrantRequestSchema,
    responses: {
      201: json('created', z.object({ grant: z.string(), expiresAt: z.string() })),
      400: error('invalid ttl, site, labels or id'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/enroll',
    tag: 'enrollment',
    summary: 'Redeem a grant (public: the grant is the credential); answers the agent credential',
    body: EnrollRequestSchema,
    responses: {
      201: json('enrolled', EnrollResponseSchema),
      401: error('unknown grant'),
      409: error('grant used, or the id exists or is not allowed'),
      410: error('grant expired'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/agents/:id/rotate',
    tag: 'agents',
    summary: "Rotate the agent's secret (admin); the agent picks it up without reconnecting",
    responses: {
      202: json(
        'rotation pending',
        z.object({ id: z.string(), rotation: z.string(), requestedAt: z.string(), pending: z.literal(true) }),
      ),
      404: error('no such agent'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/agents/:id',
    tag: 'agents',
    summary: 'Revoke the agent (admin): disconnected, refused from now on, its routes withdrawn',
    responses: {
      200: json('revoked (again: the same answer)', z.object({ id: z.string(), revokedAt: z.string() })),
      404: error('no such agent'),
    },
  },
];
