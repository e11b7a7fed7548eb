import type BetterSqlite3 from 'better-sqlite3';
import {
  ConflictError,
  parseGrantToken,
  PROTOCOL_VERSION,
  TetherError,
  type Clock,
  type EnrollRequest,
  type EnrollResponse,
} from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import { claimAll, type UniqueClaims } from './unique-claims.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentStore } from '../../store/agent-store.js';
import { GrantStore } from './grant-store.js';
import { checkGrant, redeemGrant } from './grants.js';

/** What enrollment needs. */
export interface EnrollmentDeps {
  db: BetterSqlite3.Database;
  agents: AgentStore;
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
  /** The TLS certificate fingerprint grants carry (`sha256:<hex>`), when the control plane serves TLS. */
  fingerprint?: string | undefined;
  /** The public key (PEM) that signs agent builds, handed to every enrolled agent (docs/upgrades.md). */
  upgradeKey?: string | undefined;
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
  deps: EnrollmentDeps,
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

/**
 * Redeems a grant for an agent credential (`POST /api/v1/enroll`; `host`: the name the agent reached the API by,
 * for the MQTT URLs it is handed). A refusal changes nothing and is audited (coalesced), never with the grant.
 */
export async function enrollAgent(
  deps: EnrollmentDeps,
  request: EnrollRequest,
  host: string,
): Promise<EnrollResponse> {
  let claimed: string[] = [];
  try {
    claimed = await claimRedemption(deps, request.grant, request.id);
    const audit = { log: deps.audit, actor: 'enroll' };
    const agent = redeemGrant(deps.db, deps.agents, request.grant, request.id, deps.clock.now(), audit);
    deps.logger.info({ agentId: agent.id, site: agent.site }, 'agent enrolled');
    return {
      v: PROTOCOL_VERSION,
      id: agent.id,
      secret: agent.secret,
      controlPlane: deps.mqttUrls(host),
      ...(agent.site === undefined ? {} : { site: agent.site }),
      labels: agent.labels,
      ...(agent.strategy === undefined ? {} : { strategy: agent.strategy }),
      ...(deps.upgradeKey === undefined ? {} : { upgradeKey: deps.upgradeKey }),
    };
  } catch (err) {
    // The redemption rolled back: the refusal is recorded on its own (coalesced); never the grant itself.
    for (const key of claimed) await deps.claims?.release(key);
    const code = err instanceof TetherError ? err.code : 'internal';
    deps.audit.record({ kind: 'grant-refused', detail: { reason: code, grantId: grantIdOf(request.grant) } });
    deps.logger.warn({ reason: (err as Error).message }, 'enrollment refused');
    throw err;
  }
}
