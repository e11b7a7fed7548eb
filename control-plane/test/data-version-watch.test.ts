import { afterEach, describe, expect, it } from 'vitest';
import { DataVersionWatch } from '../src/db/data-version-watch.js';
import { ManualClock, silentLogger, twoConnections } from './helpers.js';

describe('DataVersionWatch', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('calls every listener once per poll that saw another connection commit, even after one throws; stop ends it', () => {
    const { db, other, close } = twoConnections();
    cleanups.push(close);
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)');
    const clock = new ManualClock();
    const watch = new DataVersionWatch({ db, clock, logger: silentLogger, intervalMs: 50 });
    let calls = 0;
    watch.onChange(() => {
      throw new Error('listener failed');
    });
    watch.onChange(() => calls++);
    watch.start();

    clock.advance(200);
    expect(calls).toBe(0);
    other.exec("INSERT INTO kv VALUES ('a', '1'); INSERT INTO kv VALUES ('b', '2')");
    db.exec("INSERT INTO kv VALUES ('c', '3')");
    clock.advance(50);
    expect(calls).toBe(1);
    clock.advance(200);
    expect(calls).toBe(1);

    watch.stop();
    other.exec("INSERT INTO kv VALUES ('d', '4')");
    clock.advance(200);
    expect(calls).toBe(1);
  });
});
