import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRouteTable, routeKey, type RouteTable } from '@tether/shared';
import { openDatabase, SqliteRouteTable } from '../src/index.js';
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
    await new Promise((r) => setImmediate(r)); // another connection's commit shows from the next turn
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
