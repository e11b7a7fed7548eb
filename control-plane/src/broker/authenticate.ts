import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import { confirmRotation } from '../agents/credentials/confirm-rotation.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { verifySecret } from '../auth/secrets.js';

/** CONNACK return codes (aedes's AuthErrorCode is an ambient const enum, unusable with isolatedModules). */
const BAD_USERNAME_OR_PASSWORD = 4 as AuthenticateError['returnCode'];
const NOT_AUTHORIZED = 5 as AuthenticateError['returnCode'];
const SERVER_UNAVAILABLE = 3 as AuthenticateError['returnCode'];

/** What the authenticate hook needs. */
export interface AuthenticateDeps {
  db: BetterSqlite3.Database;
  clock: Clock;
  agents: AgentStore;
  metrics: Metrics;
  logger: Logger;
  audit: AuditLog;
  /** The end of an agent's quarantine (epoch ms), if it is quarantined. */
  quarantinedUntil(agentId: string): number | undefined;
  /** The source address of a connection. */
  sourceOf(conn: object): string | undefined;
  /**
   * Admits an authenticated agent's connect (ConnectsInFlight): `answer(true)` now or once a place frees;
   * `answer(false)`: the hub is busy (waiting room full or the wait ran out), try later.
   */
  admit(agentId: string, client: Client, answer: (admitted: boolean) => void): void;
  /** Gives back the place of an admitted connect that was refused after all (judged again after its wait). */
  release(agentId: string, client: Client): void;
}

function refusal(message: string, returnCode: AuthenticateError['returnCode']): AuthenticateError {
  return Object.assign<Error, { returnCode: AuthenticateError['returnCode'] }>(new Error(message), {
    returnCode,
  });
}

/**
 * The aedes `authenticate` hook: username must be a registered agent id, the client id must equal it, the
 * password must match the stored hash (or the pending one of a credential rotation, which confirms the rotation:
 * the old secret stops working), and the agent must be neither revoked (5: not authorized) nor quarantined
 * (3: server unavailable, so it retries on its normal backoff). Refusals are counted and audited (coalesced);
 * the secret is never logged. Last, admission: with too many connects in flight the CONNECT waits for a place; a
 * full waiting room or a wait that ran out refuses it with 3 (server unavailable), counted
 * (`tether_connect_refusals_total{reason="busy"}`), not audited.
 */
export function createAuthenticate(deps: AuthenticateDeps): NonNullable<AedesOptions['authenticate']> {
  return (client: Client, username, password, done) => {
    const refuse = (reason: string, code: AuthenticateError['returnCode'], known = false): void => {
      deps.metrics.authFailures.inc({ reason });
      deps.logger.warn({ clientId: client.id, username, reason }, 'mqtt connection refused');
      deps.audit.record({
        kind: 'auth-failed',
        agentId: known ? username : undefined,
        source: deps.sourceOf(client.conn),
        detail: { via: 'mqtt', reason, ...(known ? {} : { username: String(username ?? '').slice(0, 64) }) },
      });
      done(refusal(reason, code), null);
    };
    const failed = (err: unknown): void => {
      deps.logger.error({ err, clientId: client.id }, 'authenticate failed');
      deps.metrics.authFailures.inc({ reason: 'internal' });
      done(refusal('server unavailable', SERVER_UNAVAILABLE), null);
    };
    /**
     * The checks of the agent's record, run at the CONNECT and again when it is admitted after waiting (it may have
     * been revoked, quarantined or had its secret rotated meanwhile). The rotation it confirms, if any; false: refused
     * (and answered).
     */
    const judge = (): { rotation: string | null } | false => {
      if (!username || !password) return (refuse('missing_credentials', BAD_USERNAME_OR_PASSWORD), false);
      if (client.id !== username) return (refuse('client_id_mismatch', NOT_AUTHORIZED), false);
      const agent = deps.agents.get(username);
      if (!agent) return (refuse('unknown_agent', BAD_USERNAME_OR_PASSWORD), false);
      const current = verifySecret(password, agent.secretHash);
      const rotation = agent.pendingSecretHash !== null ? agent.rotationId : null;
      const pending = !current && rotation !== null && verifySecret(password, agent.pendingSecretHash!);
      if (!current && !pending) return (refuse('bad_secret', BAD_USERNAME_OR_PASSWORD, true), false);
      if (agent.revokedAt !== null) return (refuse('revoked', NOT_AUTHORIZED, true), false);
      if (deps.quarantinedUntil(username) !== undefined)
        return (refuse('quarantined', SERVER_UNAVAILABLE, true), false);
      return { rotation: pending ? rotation : null };
    };
    try {
      const first = judge();
      if (!first) return;
      const agentId = client.id;
      let waited = false;
      deps.admit(agentId, client, (admitted) => {
        if (!admitted) {
          // A storm: counted, neither audited nor logged per CONNECT; the agent retries on its backoff.
          deps.metrics.connectRefusals.inc({ reason: 'busy' });
          return done(refusal('busy: too many agents connecting, retry later', SERVER_UNAVAILABLE), null);
        }
        try {
          // Admitted after a wait: judged again (it may have been revoked, quarantined or rotated meanwhile).
          const verdict = waited ? judge() : first;
          if (!verdict) return deps.release(agentId, client);
          if (verdict.rotation !== null) confirmRotation(deps, agentId, verdict.rotation, 'connect');
        } catch (err) {
          return failed(err);
        }
        done(null, true);
      });
      waited = true;
    } catch (err) {
      failed(err);
    }
  };
}
