import type { AuditLog } from '../../audit/audit-log.js';
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import {
  AdvertiseStrategySchema,
  AgentIdSchema,
  ConflictError,
  formatGrantToken,
  joinCommandLine,
  formatZodError,
  GoneError,
  LabelsSchema,
  parseDuration,
  parseGrantToken,
  SiteSchema,
  UnauthorizedError,
  ValidationError,
  type AdvertiseStrategy,
  type Labels,
} from '@tether/shared';
import { generateSecret, hashSecret, verifySecret } from '../../auth/secrets.js';
import type { AgentStore } from '../../store/agent-store.js';
import { GrantStore } from './grant-store.js';

/** How long a grant lives unless told otherwise. */
export const DEFAULT_GRANT_TTL_MS = 15 * 60_000;
/** The longest a grant may live. */
export const MAX_GRANT_TTL_MS = 7 * 86_400_000;

/** What an operator asks for (CLI flags or `POST /api/v1/grants`): every field optional. */
export const GrantRequestSchema = z.strictObject({
  ttl: z.union([z.string(), z.number()]).optional(),
  site: SiteSchema.optional(),
  labels: LabelsSchema.optional(),
  id: AgentIdSchema.optional(),
  /** The strategy the hub holds the enrolled agent to, whatever it declares (`none`: a reporting-only edge). */
  strategy: AdvertiseStrategySchema.optional(),
});
/** A grant request. */
export type GrantRequest = z.infer<typeof GrantRequestSchema>;

/** A created grant as shown (once) to the operator. */
export interface NewGrant {
  grant: string;
  expiresAt: string;
  /** The command that enrolls a device with it and runs the agent (when the grant carries the URL). */
  join?: string;
}

/** A redeemed grant: the new agent's credential and identity attributes. */
export interface RedeemedGrant {
  id: string;
  secret: string;
  site?: string;
  labels: Labels;
  /** The strategy the grant fixed, if any. */
  strategy?: AdvertiseStrategy;
}

function ttlOf(ttl: string | number | undefined): number {
  let ms: number;
  try {
    ms = ttl === undefined ? DEFAULT_GRANT_TTL_MS : parseDuration(ttl);
  } catch (err) {
    throw new ValidationError(`invalid ttl: ${(err as Error).message}`, { cause: err });
  }
  if (ms < 1000 || ms > MAX_GRANT_TTL_MS)
    throw new ValidationError('invalid ttl: between 1s and 7d expected');
  return ms;
}

/** The audit log a grant change is recorded in (same transaction), and who made it. */
export interface GrantAudit {
  log: AuditLog;
  actor: string;
}

/** Validates a grant request from outside (API body), naming the bad field. */
export function parseGrantRequest(body: unknown): GrantRequest {
  const parsed = GrantRequestSchema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(`invalid grant request: ${formatZodError(parsed.error)}`);
}

/**
 * Creates a single-use enrollment grant valid for `ttl` (default 15 minutes) and returns its token, shown once:
 * only the hash of its secret is stored. `fingerprint` (the control plane's TLS certificate) and `url` (its API,
 * where the agent redeems it) travel in the token; with the URL the answer also has the `join` command line.
 */
export function createGrant(
  db: BetterSqlite3.Database,
  request: GrantRequest,
  now: number,
  fingerprint?: string,
  audit?: GrantAudit,
  url?: string,
): NewGrant {
  const ttlMs = ttlOf(request.ttl);
  const grantId = randomBytes(12).toString('base64url');
  const secret = generateSecret();
  const expiresAt = now + ttlMs;
  const grants = new GrantStore(db);
  db.transaction(() => {
    grants.insert({
      id: grantId,
      secretHash: hashSecret(secret),
      createdAt: now,
      expiresAt,
      agentId: request.id ?? null,
      site: request.site ?? null,
      labels: request.labels ?? {},
      strategy: request.strategy ?? null,
    });
    audit?.log.record({
      kind: 'grant-created',
      agentId: request.id,
      actor: audit.actor,
      detail: {
        grantId,
        site: request.site,
        strategy: request.strategy,
        expiresAt: new Date(expiresAt).toISOString(),
      },
    });
  }).immediate();
  const grant = formatGrantToken({
    grantId,
    secret,
    ...(fingerprint ? { fingerprint } : {}),
    ...(url ? { url } : {}),
  });
  return {
    grant,
    expiresAt: new Date(expiresAt).toISOString(),
    ...(url ? { join: joinCommandLine(grant) } : {}),
  };
}

/** A fresh agent id for a grant that names none: `agent-` and 10 random hex digits. */
function generatedAgentId(): string {
  return `agent-${randomBytes(5).toString('hex')}`;
}

/**
 * The checks of a redemption without redeeming: the grant exists, the secret matches, it is unused, unexpired and
 * allows `requestedId`. Returns the grant id and the agent id it enrolls, if fixed. Throws as `redeemGrant`.
 */
export function checkGrant(
  grants: GrantStore,
  token: string,
  requestedId: string | undefined,
  now: number,
): { grantId: string; agentId: string | undefined; grant: NonNullable<ReturnType<GrantStore['get']>> } {
  const { grantId, secret: grantSecret } = parseGrantToken(token);
  const grant = grants.get(grantId);
  if (!grant || !verifySecret(grantSecret, grant.secretHash))
    throw new UnauthorizedError('unknown enrollment grant');
  if (grant.usedAt !== null) throw new ConflictError('enrollment grant already used');
  if (grant.expiresAt <= now)
    throw new GoneError('enrollment grant expired: create a new one', { code: 'grant_expired' });
  if (grant.agentId && requestedId && requestedId !== grant.agentId)
    throw new ConflictError(`this grant enrolls agent "${grant.agentId}" only`);
  return { grantId, agentId: grant.agentId ?? requestedId, grant };
}

/**
 * Redeems a grant atomically (one IMMEDIATE transaction): checks it, creates the agent with a new secret and the
 * grant's site and labels, and marks the grant used. Exactly one of any number of concurrent redemptions wins.
 * Unknown grant or wrong secret: UnauthorizedError (401); used: ConflictError (409); expired: GoneError (410);
 * an id the grant does not allow or that exists: ConflictError. A refusal changes nothing.
 */
export function redeemGrant(
  db: BetterSqlite3.Database,
  agents: AgentStore,
  token: string,
  requestedId: string | undefined,
  now: number,
  audit?: GrantAudit,
): RedeemedGrant {
  const grants = new GrantStore(db);
  return db
    .transaction((): RedeemedGrant => {
      const { grantId, grant } = checkGrant(grants, token, requestedId, now);
      const secret = generateSecret();
      const hash = hashSecret(secret);
      const site = grant.site ?? undefined;
      const strategy = grant.strategy ?? undefined;
      const identity = { site, labels: grant.labels, strategy };
      let id = grant.agentId ?? requestedId;
      if (id !== undefined) {
        if (!agents.insertEnrolled(id, hash, now, identity))
          throw new ConflictError(`agent "${id}" exists already`);
      } else {
        do id = generatedAgentId();
        while (!agents.insertEnrolled(id, hash, now, identity));
      }
      if (!grants.markUsed(grantId, id, now)) throw new ConflictError('enrollment grant already used');
      audit?.log.record({ kind: 'grant-redeemed', agentId: id, actor: audit.actor, detail: { grantId } });
      return {
        id,
        secret,
        ...(site === undefined ? {} : { site }),
        labels: grant.labels,
        ...(strategy === undefined ? {} : { strategy }),
      };
    })
    .immediate();
}
