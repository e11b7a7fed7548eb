import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ClusterUnavailableError } from '@tether/shared';
import { AuditLog } from '../audit/audit-log.js';
import { openDatabase } from '../db/open-database.js';
import {
  registerAgentOnce,
  type AgentRequest,
  type NewAgent,
} from '../agents/registration/register-agent.js';
import { AgentStore } from '../store/agent-store.js';
import { installChangeTriggers } from './change-applier.js';
import { redactRedisUrl } from './redis-fabric.js';
import { RedisClaims } from './redis-claims.js';

/**
 * `tether-cp agent add <id> [--strategy S] --data-dir D --redis-url URL`: claims `agent:<id>` in Redis like the
 * API does, then registers the agent in D with the change-log triggers on, so the row (its fixed strategy
 * included) waits in D's outbox and the replica serving D (now or when it starts) appends it to the change log for
 * every replica. A taken id: ConflictError.
 */
export async function addAgentInCluster(
  dataDir: string,
  redisUrl: string,
  request: AgentRequest,
): Promise<NewAgent> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // the failed connect below says it
  const db = openDatabase(join(dataDir, 'tether.db'));
  const audit = new AuditLog({ db, clock: { now: Date.now, setTimeout: () => 0, clearTimeout: () => {} } });
  try {
    await redis.connect().catch((err: unknown) => {
      throw new ClusterUnavailableError(`cannot reach redis at ${redactRedisUrl(redisUrl)}`, { cause: err });
    });
    installChangeTriggers(db);
    const agents = new AgentStore(db);
    return await registerAgentOnce(
      agents,
      request,
      Date.now(),
      { log: audit, actor: 'cli' },
      new RedisClaims(redis),
    );
  } finally {
    audit.flush();
    db.close();
    redis.disconnect();
  }
}
