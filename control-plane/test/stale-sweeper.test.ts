import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventBus,
  openDatabase,
  SqliteRouteTable,
  StaleSweeper,
  type ControlPlaneEvent,
} from '../src/index.js';
import { edgeRoute, ManualClock, silentLogger, tempDir } from './helpers.js';

describe('StaleSweeper', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('deletes routes only once they have been stale for the grace period', () => {
    const { dir, cleanup } = tempDir();
    const db = openDatabase(join(dir, 'tether.db'));
    cleanups.push(() => {
      db.close();
      cleanup();
    });
    const table = new SqliteRouteTable(db);
    const clock = new ManualClock();
    const bus = new EventBus();
    const seen: ControlPlaneEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    table.apply([edgeRoute('e1', 'svc', 'http://a'), edgeRoute('e2', 'svc', 'http://b')]);
    table.markStale({ origin: 'e1' }, clock.now());

    const sweeper = new StaleSweeper({
      table,
      bus,
      logger: silentLogger,
      graceMs: 60_000,
      intervalMs: 1000,
      clock,
    });
    sweeper.start();
    clock.advance(59_000);
    expect(table.count()).toBe(2);
    clock.advance(2_000);
    expect(table.list().map((r) => r.origin)).toEqual(['e2']);
    expect(seen.map((e) => [e.type, 'route' in e ? e.route.origin : undefined])).toEqual([
      ['route-deleted', 'e1'],
    ]);

    sweeper.stop();
    table.markStale({ origin: 'e2' }, clock.now());
    clock.advance(120_000);
    expect(table.count()).toBe(1);
  });
});
