import type { Context, Hono } from 'hono';
import type BetterSqlite3 from 'better-sqlite3';
import {
  ConflictError,
  EnrollRequestSchema,
  formatZodError,
  parseGrantToken,
  PROTOCOL_VERSION,
  TetherError,
  ValidationError,
  type Clock,
  type EnrollResponse,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { CredentialRotation } from '../credentials/credential-rotation.js';
import { claimAll, type UniqueClaims } from '../cluster/unique-claims.js';
import { GrantStore } from '../enrollment/grant-store.js';
import { checkGrant, createGrant, parseGrantRequest, redeemGrant } from '../enrollment/grants.js';
import type { Logger } from '../logger.js';
import type { AgentStore } from '../store/agent-store.js';
import { jsonBody } from './json-body.js';

/** What the enrollment and rotation endpoints need. */
export interface EnrollmentApiDeps {
  db: BetterSqlite3.Database;
  agents: AgentStore;
  rotation: CredentialRotation;
  audit: AuditLog;
  /** Who made a request, for the audit log (`token:<name>`). */
  actorOf(c: Context): string;
  logger: Logger;
  clock: Clock;
  /** The TLS certificate fingerprint grants carry (`sha256:<hex>`), when the control plane serves TLS. */
  fingerprint?: string | undefined;
  /** The MQTT URLs to hand an agent that called the API by `host`. */
  mqttUrls(host: string): string[];
  /** In a cluster: redemption and the enrolled agent's id are claimed cluster-wide first (docs/cluster.md). */
  claims?: UniqueClaims | undefined;
}

/**
 * In a cluster, a valid redemption first claims its grant (and its agent id, when fixed) in Redis: exactly one of
 * any number of concurrent attempts on any replicas goes on. Returns the claimed keys (released on failure).
 */
async function claimRedemption(
  deps: EnrollmentApiDeps,
  token: string,
  requestedId: string | undefined,
): Promise<string[]> {
  if (!deps.claims) return [];
  const checked = checkGrant(new GrantStore(deps.db), token, requestedId, deps.clock.now());
  const keys = [`grant:${checked.grantId}`, ...(checked.agentId ? [`agent:${checked.agentId}`] : [])];
  return claimAll(deps.claims, keys, (key) =>
    key.startsWith('grant:')
      ? new ConflictError('enrollment grant already used')
      : new ConflictError(`agent "${checked.agentId}" exists already`),
  );
}

/** The id part of a grant token (never its secret), or undefined when it does not parse. */
function grantIdOf(token: string): string | undefined {
  try {
    return parseGrantToken(token).grantId;
  } catch {
    return undefined;
  }
}

/** The enrollment endpoint: public (the grant is the credential), never behind the API's bearer tokens. */
export const ENROLL_PATH = '/api/v1/enroll';

/**
 * `POST /api/v1/grants` (201 `{grant, expiresAt}`), `POST /api/v1/enroll` (public: redeems a grant, 201 with the
 * agent credential) and `POST /api/v1/agents/:id/rotate` (202 `{id, rotation, requestedAt, pending}`).
 * Neither grants nor secrets are ever logged.
 */
export function registerEnrollmentRoutes(app: Hono, deps: EnrollmentApiDeps): void {
  app.post('/api/v1/grants', async (c) => {
    const request = parseGrantRequest(await jsonBody(c));
    const audit = { log: deps.audit, actor: deps.actorOf(c) };
    const grant = createGrant(deps.db, request, deps.clock.now(), deps.fingerprint, audit);
    deps.logger.info(
      { site: request.site, id: request.id, expiresAt: grant.expiresAt },
      'enrollment grant created',
    );
    return c.json(grant, 201);
  });

  app.post(ENROLL_PATH, async (c) => {
    const parsed = EnrollRequestSchema.safeParse(await jsonBody(c));
    if (!parsed.success)
      throw new ValidationError(`invalid enrollment request: ${formatZodError(parsed.error)}`);
    let claimed: string[] = [];
    try {
      claimed = await claimRedemption(deps, parsed.data.grant, parsed.data.id);
      const audit = { log: deps.audit, actor: 'enroll' };
      const agent = redeemGrant(
        deps.db,
        deps.agents,
        parsed.data.grant,
        parsed.data.id,
        deps.clock.now(),
        audit,
      );
      deps.logger.info({ agentId: agent.id, site: agent.site }, 'agent enrolled');
      const body: EnrollResponse = {
        v: PROTOCOL_VERSION,
        id: agent.id,
        secret: agent.secret,
        controlPlane: deps.mqttUrls(new URL(c.req.url).hostname),
        ...(agent.site === undefined ? {} : { site: agent.site }),
        labels: agent.labels,
        ...(agent.strategy === undefined ? {} : { strategy: agent.strategy }),
      };
      return c.json(body, 201);
    } catch (err) {
      // The redemption rolled back: the refusal is recorded on its own (coalesced); never the grant itself.
      for (const key of claimed) await deps.claims?.release(key);
      const code = err instanceof TetherError ? err.code : 'internal';
      deps.audit.record({
        kind: 'grant-refused',
        detail: { reason: code, grantId: grantIdOf(parsed.data.grant) },
      });
      deps.logger.warn({ reason: (err as Error).message }, 'enrollment refused');
      throw err;
    }
  });

  app.post('/api/v1/agents/:id/rotate', (c) =>
    c.json(deps.rotation.rotate(c.req.param('id'), deps.actorOf(c)), 202),
  );
}
