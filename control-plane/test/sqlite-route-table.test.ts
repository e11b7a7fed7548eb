import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptAdvert, MemoryRouteTable, routeKey, type RouteTable } from '@tether/shared';
import { openDatabase, SqliteRouteTable } from '../src/index.js';
import { EXTERNAL_CHECK_MS } from '../src/db/read-cache.js';
import { edgeRoute, tempDir } from './helpers.js';

describe('SqliteRouteTable (smoke; the contract suite lives in test/contracts)', () => {
  let cleanup: () => void;
  let db: ReturnType<typeof openDatabase>;
  let sqlite: SqliteRouteTable;

  let file: string;
  beforeEach(() => {
    const tmp = tempDir();
    file = join(tmp.dir, 'tether.db');
    cleanup = tmp.cleanup;
    db = openDatabase(file);
    sqlite = new SqliteRouteTable(db);
  });
  afterEach(() => {
    db.close();
    cleanup();
  });

  it('returns the same events and rows as MemoryRouteTable', () => {
    const memory = new MemoryRouteTable();
    const a = edgeRoute('e1', 'svc', 'http://a');
    const b = edgeRoute('e1', 'svc', 'http://b');
    const c = { ...edgeRoute('e2', 'other', 'http://c'), labels: { x: 'ü😀' } };
    const steps: ((t: RouteTable) => unknown)[] = [
      (t) => t.apply([a, b, c]),
      (t) => t.apply([{ ...a, metric: 5 }], [routeKey(b)]),
      (t) => t.replaceOrigin('e1', [b]),
      (t) => t.markStale({ origin: 'e2' }, 100),
      (t) => t.deleteStaleBefore(50),
      (t) => t.deleteStaleBefore(101),
    ];
    for (const step of steps) expect(step(sqlite)).toEqual(step(memory));
    expect(sqlite.list()).toEqual(memory.list());
    expect(sqlite.count({ state: 'active' })).toBe(1);
    expect(sqlite.get(routeKey(b))).toEqual(b);
  });

  it('reactivates an origin like replaceOrigin with its stored routes made active, and writes only its rows', () => {
    const memory = new MemoryRouteTable();
    // As the hub stores them: accepted from their agent's advert.
    const { accepted: routes } = acceptAdvert('e1', [
      edgeRoute('e1', 'svc', 'http://a'),
      edgeRoute('e1', 'other', 'http://b'),
    ]);
    const [elsewhere] = acceptAdvert('e2', [edgeRoute('e2', 'svc', 'http://c')]).accepted;
    for (const t of [sqlite, memory]) {
      t.apply([...routes, elsewhere!]);
      t.markStale({}, 100);
    }
    expect(sqlite.list({ state: 'stale' })).toHaveLength(3);
    const expected = memory.replaceOrigin('e1', acceptAdvert('e1', memory.list({ origin: 'e1' })).accepted);
    expect(sqlite.reactivateOrigin('e1')).toEqual(expected);
    expect(sqlite.reactivateOrigin('e1')).toEqual([]);
    expect(sqlite.list()).toEqual(memory.list());
    // What is on disk, read by a fresh table: e1's routes active, e2's still stale.
    expect(new SqliteRouteTable(openDatabase(file)).list()).toEqual(memory.list());
    expect(sqlite.markStale({ origin: 'e1' }, 200)).toEqual(memory.markStale({ origin: 'e1' }, 200));
    expect(new SqliteRouteTable(openDatabase(file)).list()).toEqual(memory.list());
  });

  it('rolls a nested mutation back with the outer transaction', () => {
    const a = edgeRoute('e1', 'svc', 'http://a');
    expect(() =>
      db.transaction(() => {
        sqlite.apply([a]);
        throw new Error('boom');
      })(),
    ).toThrow('boom');
    expect(sqlite.count()).toBe(0);
  });

  it('serves a service from its cache only while nothing was written, by this or another connection', async () => {
    let now = 1_000;
    const sqlite = new SqliteRouteTable(db, { now: () => now });
    const a = edgeRoute('e1', 'svc', 'http://a');
    const b = edgeRoute('e2', 'svc', 'http://b');
    sqlite.apply([a]);
    expect(sqlite.list({ service: 'svc' })).toEqual([a]);
    sqlite.apply([b]);
    expect(sqlite.list({ service: 'svc' })).toEqual([a, b]);
    const other = openDatabase(file);
    try {
      new SqliteRouteTable(other).apply([], [routeKey(a)]);
    } finally {
      other.close();
    }
    await new Promise((r) => setImmediate(r));
    expect(sqlite.list({ service: 'svc' })).toEqual([a, b]); // data_version is read at most every EXTERNAL_CHECK_MS
    now += EXTERNAL_CHECK_MS; // another connection's commit shows once that passed since the last check
    await new Promise((r) => setImmediate(r));
    expect(sqlite.list({ service: 'svc' })).toEqual([b]);
    const listed = sqlite.list({ service: 'svc' });
    listed.pop();
    expect(sqlite.list({ service: 'svc' })).toEqual([b]);
  });

  it('does not cache what a transaction saw before it rolled back', () => {
    const a = edgeRoute('e1', 'svc', 'http://a');
    expect(() =>
      db.transaction(() => {
        sqlite.apply([a]);
        expect(sqlite.list({ service: 'svc' })).toEqual([a]);
        throw new Error('boom');
      })(),
    ).toThrow('boom');
    expect(sqlite.list({ service: 'svc' })).toEqual([]);
  });
});
