import { Aedes } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { createAuthenticate } from './authenticate.js';
import { createAuthorizePublish } from './authorize-publish.js';
import { createAuthorizeSubscribe } from './authorize-subscribe.js';

/** What the broker's policy hooks need. */
export interface BrokerDeps {
  db: BetterSqlite3.Database;
  clock: Clock;
  agents: AgentStore;
  metrics: Metrics;
  logger: Logger;
}

/** Creates the embedded aedes broker with Tether's deny-by-default hooks. */
export async function createBroker(deps: BrokerDeps): Promise<Aedes> {
  const broker = await Aedes.createBroker({
    authenticate: createAuthenticate(deps),
    authorizePublish: createAuthorizePublish(),
    authorizeSubscribe: createAuthorizeSubscribe(),
    // Bounds the time a socket may sit without sending CONNECT (aedes buffers such bytes without limit).
    connectTimeout: 10_000,
  });
  broker.on('clientError', (client, err) =>
    deps.logger.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  broker.on('connectionError', (_client, err) => deps.logger.debug({ err: err.message }, 'connection error'));
  return broker;
}
