import type { AedesOptions, AuthenticateError } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import { confirmRotation } from '../credentials/confirm-rotation.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { verifySecret } from '../secrets.js';

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
}

function refusal(message: string, returnCode: AuthenticateError['returnCode']): AuthenticateError {
  return Object.assign<Error, { returnCode: AuthenticateError['returnCode'] }>(new Error(message), {
    returnCode,
  });
}

/**
 * The aedes `authenticate` hook: username must be a registered agent id, the client id must equal it, and the
 * password must match the stored hash, or the pending one of a credential rotation (which confirms the rotation:
 * the old secret stops working). Anything else is refused and counted; the secret is never logged.
 */
export function createAuthenticate(deps: AuthenticateDeps): NonNullable<AedesOptions['authenticate']> {
  return (client, username, password, done) => {
    const refuse = (reason: string, code: AuthenticateError['returnCode']): void => {
      deps.metrics.authFailures.inc({ reason });
      deps.logger.warn({ clientId: client.id, username, reason }, 'mqtt connection refused');
      done(refusal(reason, code), null);
    };
    try {
      if (!username || !password) return refuse('missing_credentials', BAD_USERNAME_OR_PASSWORD);
      if (client.id !== username) return refuse('client_id_mismatch', NOT_AUTHORIZED);
      const agent = deps.agents.get(username);
      if (!agent) return refuse('unknown_agent', BAD_USERNAME_OR_PASSWORD);
      if (verifySecret(password, agent.secretHash)) return done(null, true);
      if (agent.pendingSecretHash && agent.rotationId && verifySecret(password, agent.pendingSecretHash)) {
        confirmRotation(deps, agent.id, agent.rotationId, 'connect');
        return done(null, true);
      }
      refuse('bad_secret', BAD_USERNAME_OR_PASSWORD);
    } catch (err) {
      deps.logger.error({ err, clientId: client.id }, 'authenticate failed');
      deps.metrics.authFailures.inc({ reason: 'internal' });
      done(refusal('server unavailable', SERVER_UNAVAILABLE), null);
    }
  };
}
