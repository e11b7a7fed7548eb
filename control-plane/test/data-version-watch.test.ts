import { afterEach, describe, expect, it } from 'vitest';
import { DataVersionWatch } from '../src/db/data-version-watch.js';
import { ReadCache } from '../src/db/read-cache.js';
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

  it("its listeners read another connection's commit through a ReadCache that checked under 10 ms before", () => {
    const { db, other, close } = twoConnections();
    cleanups.push(close);
    db.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT); INSERT INTO kv VALUES ('a', '1')");
    const clock = new ManualClock();
    const frozen = { now: () => 1_000 }; // the cache's last check is always "just now"
    const cache = new ReadCache<string, string | undefined>(db, 10, frozen);
    const read = (): string | undefined =>
      cache.get('a', () => db.prepare<[], { v: string }>("SELECT v FROM kv WHERE k = 'a'").get()?.v);
    const watch = new DataVersionWatch({ db, clock, logger: silentLogger, intervalMs: 50 });
    const seen: (string | undefined)[] = [];
    watch.onChange(() => seen.push(read()));
    watch.start();
    expect(read()).toBe('1');
    other.exec("UPDATE kv SET v = '2'");
    clock.advance(50);
    expect(seen).toEqual(['2']);
  });
});
