import { randomBytes } from 'node:crypto';
import { ConflictError, formatZodError, ValidationError } from '@tether/shared';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { hashSecret } from './secrets.js';
import { RoleSchema } from './access-policy.js';
import type { TokenRecord, TokenStore } from './token-store.js';

/** A token name: letters, digits, `.`, `_`, `-`, 1-64 characters. It appears as `central:<name>` at the edge. */
export const TokenNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}');

/** `POST /api/v1/tokens` and `tether-cp token create`: a role and an optional name; unknown keys refused. */
export const TokenRequestSchema = z.strictObject({
  role: RoleSchema,
  name: TokenNameSchema.optional(),
});
/** A token request. */
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

/** A token as the API and `tether-cp token list` show it: never the token itself, never its hash. */
export const TokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});

/** A token's shown view. */
export function tokenView(t: TokenRecord): z.infer<typeof TokenViewSchema> {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdAt: new Date(t.createdAt).toISOString(),
    createdBy: t.createdBy,
  };
}

/** Where API tokens live and where their creation is audited. */
export interface TokenDeps {
  tokens: TokenStore;
  audit: AuditLog;
}

/** A new token: the secret is shown once, only its hash is stored. */
export interface NewToken extends TokenRecord {
  token: string;
}

/** The prefix of every API token (tells a leaked string's kind at a glance). */
export const TOKEN_PREFIX = 'tether_';

/** Validates a token request (API body or CLI flags); a ValidationError names the field or the unknown key. */
export function parseTokenRequest(input: unknown): TokenRequest {
  const parsed = TokenRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`invalid token request: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/** Creates an API token and its audit row in one transaction; throws ValidationError or ConflictError. */
export function createApiToken(deps: TokenDeps, input: unknown, actor: string, now: number): NewToken {
  const request = parseTokenRequest(input);
  const id = randomBytes(6).toString('hex');
  const name = request.name ?? `${request.role}-${id}`;
  const role = request.role;
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id,
    name,
    role,
    createdAt: now,
    createdBy: actor,
  };
  deps.audit.atomically(() => {
    if (!deps.tokens.insert(record, hashSecret(token)))
      throw new ConflictError(`a token named "${name}" exists already`);
    deps.audit.record({
      kind: 'token-created',
      actor,
      detail: { tokenId: id, name, role },
    });
  });
  return { ...record, token };
}

/** Deletes an API token and audits it in one transaction; false when there was none. */
export function deleteApiToken(deps: TokenDeps, id: string, actor: string): boolean {
  return deps.audit.atomically(() => {
    const record = deps.tokens.get(id);
    if (!record || !deps.tokens.delete(id)) return false;
    deps.audit.record({
      kind: 'token-deleted',
      actor,
      detail: { tokenId: id, name: record.name, role: record.role },
    });
    return true;
  });
}

/** The token a presented bearer string stands for, if any (looked up by its sha256). */
export function resolveToken(tokens: TokenStore, presented: string): TokenRecord | undefined {
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 200) return undefined;
  return tokens.byToken(presented);
}
