import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { Logger } from '../observability/logger.js';

// aedes-persistence-redis ships no types: its factory takes ioredis options, or `conn`, an existing connection.
const aedesPersistenceRedis = createRequire(import.meta.url)('aedes-persistence-redis') as (options: {
  conn: Redis;
}) => unknown;

/** The shared pieces of a cluster: aedes's emitter and persistence on Redis, and a connection for commands. */
export interface RedisFabric {
  /** aedes `mq`: messages published on any replica reach subscribers on all (mqemitter-redis). */
  mq: unknown;
  /** aedes `persistence`: retained messages, sessions, wills in Redis (aedes-persistence-redis). */
  persistence: unknown;
  /** A connection for the cluster's own commands (claims, change log appends). */
  commands: Redis;
  /** A second connection for blocking reads (the change-log reader). */
  blocking: Redis;
  /** Undefined while every connection is ready; otherwise why not, e.g. `redis: reconnecting`. */
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

/**
 * Options of every connection: reconnect forever with a capped backoff; never give up on queued commands.
 * `pipelined`: the commands issued in one tick leave in one write (ioredis auto-pipelining), not one write and one
 * syscall each; a reconnect storm issues several per agent (aedes persistence, presence, fabric publishes). Not
 * for the subscriber connection nor the blocking reader.
 */
function connect(url: string, name: string, logger: Logger, pipelined = false): Redis {
  const conn = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    lazyConnect: false,
    enableAutoPipelining: pipelined,
  });
  let lastState = '';
  conn.on('error', (err: Error) => {
    if (lastState !== 'error') logger.warn({ connection: name, err: err.message }, 'redis connection error');
    lastState = 'error';
  });
  conn.on('ready', () => {
    if (lastState === 'error') logger.info({ connection: name }, 'redis connection recovered');
    lastState = 'ready';
  });
  return conn;
}

/** Opens the Redis connections of a cluster member and waits until they are all ready. */
export async function openRedisFabric(url: string, replicaId: string, logger: Logger): Promise<RedisFabric> {
  const conns = {
    pub: connect(url, `tether:${replicaId}:pub`, logger, true),
    sub: connect(url, `tether:${replicaId}:sub`, logger),
    persistence: connect(url, `tether:${replicaId}:persistence`, logger, true),
    commands: connect(url, `tether:${replicaId}:commands`, logger, true),
    blocking: connect(url, `tether:${replicaId}:blocking`, logger),
  };
  const all = Object.values(conns);
  await Promise.all(
    all.map((c) =>
      c.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`redis at ${redactRedisUrl(url)} not ready in 10 s`)),
              10_000,
            );
            c.once('ready', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
    ),
  ).catch(async (err: unknown) => {
    for (const c of all) c.disconnect();
    throw err;
  });
  const mq = mqemitterRedis({ pubConn: conns.pub, subConn: conns.sub });
  const persistence = aedesPersistenceRedis({ conn: conns.persistence });
  return {
    mq,
    persistence,
    commands: conns.commands,
    blocking: conns.blocking,
    notReadyReason: () => {
      const down = all.find((c) => c.status !== 'ready');
      return down && `redis: ${down.status}`;
    },
    close: async () => {
      for (const c of all) c.disconnect();
      await Promise.resolve();
    },
  };
}

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}
