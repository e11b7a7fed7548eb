import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { ChangeApplier, decodeChange, type StreamEntry } from '../src/cluster/change-applier.js';
import { CHANGE_STREAM, ChangeLog } from '../src/cluster/change-log.js';
import { addAgentInCluster } from '../src/cluster/cluster-agent-add.js';
import { openDatabase } from '../src/db/open-database.js';
import { TokenStore } from '../src/auth/token-store.js';
import { createGrant } from '../src/agents/registration/grants.js';
import { AgentStore } from '../src/store/agent-store.js';
import { ConflictError, systemClock } from '@tether/shared';
import { silentLogger, tempDir } from './helpers.js';

type Db = ReturnType<typeof openDatabase>;

const policyRow = (service: string, policy: string, at: number): string =>
  JSON.stringify({ service, policy, source: 'api', updated_at: at });
const entry = (id: string, table: string, key: string, row: string): StreamEntry => [
  id,
  ['t', table, 'k', key, 'r', row],
];
const policies = (db: Db): unknown[] =>
  db.prepare('SELECT service, policy, updated_at FROM service_policies ORDER BY service').all();

function freshDb(): { db: Db; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const db = openDatabase(join(dir, 'tether.db'));
  return {
    db,
    cleanup: () => {
      db.close();
      cleanup();
    },
  };
}

describe('decodeChange', () => {
  it('reads row images and deletes; rejects malformed entries', () => {
    expect(decodeChange(['t', 'agents', 'k', 'a1', 'r', '{"id":"a1"}'])).toEqual({
      table: 'agents',
      key: 'a1',
      row: { id: 'a1' },
    });
    expect(decodeChange(['t', 'agents', 'k', 'a1', 'r', ''])).toEqual({ table: 'agents', key: 'a1' });
    expect(decodeChange(['t', 'agents', 'k', 'a1'])).toBeUndefined();
    expect(decodeChange(['t', 'agents', 'k', 'a1', 'r', '{oops'])).toBeUndefined();
    expect(decodeChange(['t', 'agents', 'k', 'a1', 'r', '[1]'])).toBeUndefined();
    // A field name in a value position is not taken for the field.
    expect(decodeChange(['x', 't', 'k', 'a1', 'r', ''])).toBeUndefined();
  });
});

describe('ChangeApplier (real SQLite)', () => {
  it('applies in stream order (last entry wins), skips bad entries, remembers its position', () => {
    const { db, cleanup } = freshDb();
    const applier = new ChangeApplier(db, silentLogger);
    expect(applier.cursor).toBe('0');
    const applied = applier.apply([
      entry('1-0', 'service_policies', 'svc-a', policyRow('svc-a', 'first', 1)),
      entry('2-0', 'service_policies', 'svc-b', policyRow('svc-b', 'only', 2)),
      entry('3-0', 'service_policies', 'svc-a', policyRow('svc-a', 'second', 3)),
      entry('4-0', 'no_such_table', 'x', '{}'),
      ['5-0', ['garbage']],
      entry('6-0', 'service_policies', 'svc-c', policyRow('svc-c', 'gone', 4)),
      entry('7-0', 'service_policies', 'svc-c', ''),
    ]);
    expect(applied.map((c) => `${c.key}:${c.row ? 'upsert' : 'delete'}`)).toEqual([
      'svc-a:upsert',
      'svc-b:upsert',
      'svc-a:upsert',
      'svc-c:upsert',
      'svc-c:delete',
    ]);
    const expected = [
      { service: 'svc-a', policy: 'second', updated_at: 3 },
      { service: 'svc-b', policy: 'only', updated_at: 2 },
    ];
    expect(policies(db)).toEqual(expected);
    expect(applier.cursor).toBe('7-0');
    // Applied changes are not logged again (triggers muted); a local write is.
    expect(applier.pending()).toEqual([]);
    db.prepare("UPDATE service_policies SET policy = 'local' WHERE service = 'svc-b'").run();
    expect(applier.pending().map((r) => [r.tbl, r.key])).toEqual([['service_policies', 'svc-b']]);
    cleanup();
  });

  it('a token deleted by a replicated change is refused in the same turn (the read caches see the commit)', () => {
    const { db, cleanup } = freshDb();
    const tokens = new TokenStore(db);
    tokens.insert({ id: 't1', name: 'n1', role: 'viewer', createdAt: 1, createdBy: null }, 'hash-1');
    expect(tokens.byHash('hash-1')?.id).toBe('t1'); // now cached
    new ChangeApplier(db, silentLogger).apply([entry('1-0', 'api_tokens', 't1', '')]);
    expect(tokens.byHash('hash-1')).toBeUndefined();
    cleanup();
  });

  it("replicates an agent's fixed strategy and a grant's with their rows", () => {
    const writer = freshDb();
    const reader = freshDb();
    const outbox = new ChangeApplier(writer.db, silentLogger);
    new AgentStore(writer.db).insert('ro-1', 'hash', 1, 'none');
    createGrant(writer.db, { strategy: 'none' }, 1);
    const rows = outbox.pending();
    expect(rows.map((r) => r.tbl)).toEqual(['agents', 'enrollment_grants']);
    expect(JSON.parse(rows[0]!.row!)).toMatchObject({ id: 'ro-1', fixed_strategy: 'none' });
    expect(JSON.parse(rows[1]!.row!)).toMatchObject({ strategy: 'none' });
    new ChangeApplier(reader.db, silentLogger).apply(
      rows.map((r, i): StreamEntry => entry(`${i + 1}-0`, r.tbl, r.key, r.row!)),
    );
    expect(new AgentStore(reader.db).get('ro-1')?.fixedStrategy).toBe('none');
    expect(reader.db.prepare('SELECT strategy FROM enrollment_grants').all()).toEqual([{ strategy: 'none' }]);
    writer.cleanup();
    reader.cleanup();
  });

  it('applying the same entries again (a replay after a crash) changes nothing', () => {
    const { db, cleanup } = freshDb();
    const applier = new ChangeApplier(db, silentLogger);
    const entries = [
      entry('1-0', 'service_policies', 'svc-a', policyRow('svc-a', 'p1', 1)),
      entry('2-0', 'service_policies', 'svc-a', policyRow('svc-a', 'p2', 2)),
      entry('3-0', 'service_policies', 'svc-b', policyRow('svc-b', 'p3', 3)),
      entry('4-0', 'service_policies', 'svc-b', ''),
    ];
    applier.apply(entries);
    const once = policies(db);
    applier.apply(entries);
    applier.apply(entries.slice(1));
    expect(policies(db)).toEqual(once);
    expect(once).toEqual([{ service: 'svc-a', policy: 'p2', updated_at: 2 }]);
    cleanup();
  });
});

describe('ChangeLog compaction (real redis-server)', () => {
  let redis: RedisServer;
  const conns: Redis[] = [];
  const cleanups: (() => void)[] = [];
  const connect = (): Redis => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    conns.push(c);
    return c;
  };
  const replica = (): { db: Db; log: ChangeLog } => {
    const { db, cleanup } = freshDb();
    cleanups.push(cleanup);
    const log = new ChangeLog({
      db,
      commands: connect(),
      blocking: connect(),
      clock: systemClock,
      logger: silentLogger,
      pumpIntervalMs: 5,
      compaction: { slack: 0, batch: 50, everyMs: 3_600_000 },
    });
    return { db, log };
  };
  const until = async (what: string, pred: () => boolean | Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    for (const c of cleanups) c();
    await redis.kill();
  });

  it('keeps the stream short and complete: a new replica and a lagging one converge on the same rows', async () => {
    const writer = replica();
    writer.log.start();
    const lagging = replica();
    lagging.log.start();
    const upsert = writer.db.prepare(
      "INSERT INTO service_policies (service, policy, source, updated_at) VALUES (?, ?, 'api', ?) ON CONFLICT (service) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
    );
    for (let i = 0; i < 20; i++) upsert.run(`svc-${i % 4}`, `v${i}`, i);
    await until('the lagging replica applied the first writes', () => policies(lagging.db).length === 4);
    await lagging.log.stop(); // down while the others write and compact
    for (let i = 20; i < 120; i++) upsert.run(`svc-${i % 4}`, `v${i}`, i);
    writer.db.prepare("DELETE FROM service_policies WHERE service = 'svc-3'").run();
    const xlen = (): Promise<number> => conns[0]!.xlen(CHANGE_STREAM);
    await until('every write appended', async () => (await xlen()) === 121);
    let examined = 0;
    for (let i = 0; i < 10; i++) examined += await writer.log.compact();
    expect(examined).toBeGreaterThan(0);
    // 3 live rows and one delete left (each its latest entry); every superseded entry is gone.
    expect(await xlen()).toBe(4);
    expect(await writer.log.compact()).toBe(0);

    const expected = policies(writer.db);
    expect(expected).toHaveLength(3);
    const fresh = replica();
    fresh.log.start();
    await until(
      'the new replica caught up',
      () => JSON.stringify(policies(fresh.db)) === JSON.stringify(expected),
    );
    // The lagging replica comes back with its old position, which compaction deleted under it.
    const back = new ChangeLog({
      db: lagging.db,
      commands: connect(),
      blocking: connect(),
      clock: systemClock,
      logger: silentLogger,
    });
    back.start();
    await until(
      'the lagging replica caught up',
      () => JSON.stringify(policies(lagging.db)) === JSON.stringify(expected),
    );
    for (const log of [writer.log, fresh.log, back]) await log.stop();
  });

  it('a stream written before the latest marks existed is marked first, never taken for superseded', async () => {
    const admin = connect();
    await admin.flushall();
    // Entries as the first version of the log appended them: plain XADD, no marks.
    for (let i = 0; i < 30; i++) {
      const service = `old-${i % 3}`;
      await admin.xadd(
        CHANGE_STREAM,
        '*',
        't',
        'service_policies',
        'k',
        service,
        'r',
        policyRow(service, `v${i}`, i),
      );
    }
    const compactor = replica();
    let examined = 0;
    await until('a compaction (once its connection is ready)', async () => {
      examined = await compactor.log.compact();
      return examined > 0;
    });
    expect(examined).toBe(30);
    expect(await admin.xlen(CHANGE_STREAM)).toBe(3);
    compactor.log.start();
    await until('the compactor applied the log', () => policies(compactor.db).length === 3);
    expect(policies(compactor.db)).toEqual([
      { service: 'old-0', policy: 'v27', updated_at: 27 },
      { service: 'old-1', policy: 'v28', updated_at: 28 },
      { service: 'old-2', policy: 'v29', updated_at: 29 },
    ]);
    await compactor.log.stop();
  });

  it('`agent add` in a cluster: of two data dirs adding one id at once exactly one wins; its row waits in the outbox', async () => {
    const dirs = [tempDir(), tempDir()];
    for (const d of dirs) cleanups.push(d.cleanup);
    for (const d of dirs) openDatabase(join(d.dir, 'tether.db')).close(); // migrated, as a replica leaves it
    const results = await Promise.allSettled(
      dirs.map((d) => addAgentInCluster(d.dir, redis.url, { id: 'cli-twin' })),
    );
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(won).toBeGreaterThanOrEqual(0);
    const lost = results[1 - won]!;
    expect(lost.status === 'rejected' && lost.reason instanceof ConflictError).toBe(true);
    const rows = dirs.map((d) => {
      const db = openDatabase(join(d.dir, 'tether.db'));
      try {
        return {
          agents: db.prepare('SELECT id FROM agents').all(),
          outbox: db.prepare('SELECT tbl, key FROM cluster_outbox').all(),
        };
      } finally {
        db.close();
      }
    });
    expect(rows[won]).toEqual({
      agents: [{ id: 'cli-twin' }],
      outbox: [{ tbl: 'agents', key: 'cli-twin' }],
    });
    expect(rows[1 - won]).toEqual({ agents: [], outbox: [] });
    await expect(addAgentInCluster(dirs[0]!.dir, 'redis://127.0.0.1:1', { id: 'cli-x' })).rejects.toThrow(
      /cannot reach redis/,
    );
  });
});
