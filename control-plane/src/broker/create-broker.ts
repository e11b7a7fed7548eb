import { Aedes } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { Admission } from './admission.js';
import { createAuthenticate } from './authenticate.js';
import { createAuthorizePublish } from './authorize-publish.js';
import { createAuthorizeSubscribe } from './authorize-subscribe.js';
import { DenialTracker } from './denial-tracker.js';
import { LocalFirstEmitter } from './local-first-emitter.js';
import type { BrokerLimits } from './limits.js';
import { PublishRateLimiter } from './publish-rate-limit.js';
import { skipRetainedLookups } from './retained-lookups.js';
import { SocketGuard } from './socket-guard.js';

/** What the broker's policy hooks need. */
export interface BrokerDeps {
  db: BetterSqlite3.Database;
  clock: Clock;
  agents: AgentStore;
  metrics: Metrics;
  logger: Logger;
  audit: AuditLog;
  limits: BrokerLimits;
  /** A cluster member's emitter and persistence on Redis (docs/cluster.md); in memory otherwise. */
  fabric?: { mq: unknown; persistence: unknown } | undefined;
}

/** The embedded broker, the guard every listener hands its sockets to, and per-agent limiter state. */
export interface Broker {
  aedes: Aedes;
  guard: SocketGuard;
  /** Forgets an agent's rate and denial state (revoked). */
  forget: (agentId: string) => void;
  /** The broker's emitter, which offers what clients connected here publish to a receiver first. */
  local: LocalFirstEmitter;
}

/** Creates the embedded aedes broker with Tether's deny-by-default hooks and abuse limits. */
export async function createBroker(deps: BrokerDeps): Promise<Broker> {
  const denials = new DenialTracker(deps.limits.quarantine, deps.clock);
  const limiter = new PublishRateLimiter(deps.limits, deps.clock);
  const guardRef: { current?: SocketGuard } = {};
  const sourceOf = (conn: object): string | undefined => guardRef.current?.sourceOf(conn);
  const { stages } = deps.metrics;
  const admission = new Admission(deps.limits.connectsInFlight, deps.clock, deps.metrics);
  const authenticate = createAuthenticate({
    ...deps,
    quarantinedUntil: (id) => denials.quarantinedUntil(id),
    sourceOf,
    admit: (id, client, answer) => admission.admit(id, client, answer),
    release: (id, client) => admission.release(id, client),
  });
  const authorizeSubscribe = createAuthorizeSubscribe({ ...deps, sourceOf });
  const aedes = await Aedes.createBroker({
    authenticate: (...args) => stages.time('authenticate', () => authenticate(...args)),
    authorizePublish: createAuthorizePublish({ ...deps, limiter, denials, sourceOf }),
    authorizeSubscribe: (...args) => stages.time('subscribe', () => authorizeSubscribe(...args)),
    // Closes a socket that has not sent a whole CONNECT in time (the timer runs from accept to the CONNECT).
    connectTimeout: deps.limits.connectTimeoutMs,
    ...(deps.fabric ? { mq: deps.fabric.mq, persistence: deps.fabric.persistence } : {}),
  });
  const local = LocalFirstEmitter.install(aedes);
  skipRetainedLookups(
    (aedes as unknown as { persistence: Parameters<typeof skipRetainedLookups>[0] }).persistence,
  );
  aedes.on('clientError', (client, err) =>
    deps.logger.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  aedes.on('connectionError', (_client, err) => deps.logger.debug({ err: err.message }, 'connection error'));
  admission.attach(aedes);
  const guard = (guardRef.current = new SocketGuard({ ...deps, broker: aedes }));
  return {
    aedes,
    guard,
    forget: (agentId) => {
      denials.forget(agentId);
      limiter.forget(agentId);
    },
    local,
  };
}
