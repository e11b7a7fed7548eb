import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, openDatabase } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('openDatabase', () => {
  const dirs: (() => void)[] = [];
  afterEach(() => dirs.splice(0).forEach((cleanup) => cleanup()));

  it('creates the file with mode 0600, in WAL with synchronous=FULL, savepoint journals in memory', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const path = join(dir, 'nested', 'tether.db');
    const db = openDatabase(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    db.close();
  });

  it('runs migrations once: reopening and re-migrating changes nothing', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const path = join(dir, 'tether.db');
    const latest = MIGRATIONS.at(-1)!.version;
    const db = openDatabase(path);
    db.prepare("INSERT INTO agents (id, secret_hash, created_at) VALUES ('a1', 'x', 1)").run();
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    expect(migrate(db)).toBe(latest);
    db.close();
    const again = openDatabase(path);
    expect(again.pragma('user_version', { simple: true })).toBe(latest);
    expect(again.prepare('SELECT count(*) AS n FROM agents').get()).toEqual({ n: 1 });
    again.close();
  });

  it('migration 14 keeps every route row, now keyed by (origin, key) and read by origin without an index', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const raw = new BetterSqlite3(join(dir, 'old.db'));
    migrate(
      raw,
      MIGRATIONS.filter((m) => m.version <= 13),
    );
    const insert = raw.prepare(
      `INSERT INTO routes (key, service, address, origin, origin_kind, site, labels, metric, state, version,
       stale_since, source) VALUES (?, ?, ?, ?, 'edge', 's1', '{"a":"1"}', 5, ?, 2, ?, ?)`,
    );
    insert.run('k1', 'svc', 'http://a', 'e1', 'active', null, 'static');
    insert.run('k2', 'svc', 'http://b', 'e2', 'stale', 7, null);
    const before = raw.prepare('SELECT * FROM routes ORDER BY key').all();
    migrate(raw);
    expect(raw.prepare('SELECT * FROM routes ORDER BY key').all()).toEqual(before);
    expect(() => insert.run('k1', 'svc', 'http://a', 'e1', 'active', null, null)).toThrow(/UNIQUE/);
    const plan = raw
      .prepare("EXPLAIN QUERY PLAN UPDATE routes SET state = 'stale' WHERE origin = ? AND state = 'active'")
      .all('e1') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/SEARCH routes USING PRIMARY KEY \(origin=\?\)/);
    raw.close();
  });

  it('released migrations (1 to 14) keep their numbers, order, descriptions and SQL byte for byte', () => {
    const released = MIGRATIONS.filter((m) => m.version <= 14);
    expect(released.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    // The sha256 of the list as it stood before the migrations were split by era (any edit changes it).
    const digest = createHash('sha256').update(JSON.stringify(released)).digest('hex');
    expect(digest).toBe('5d01f13ba68e5a0613546899393f2ee968bb9f3424d79033972628beb0196803');
  });
});
