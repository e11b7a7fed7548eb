import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { EXTERNAL_CHECK_MS, markChanged, ReadCache } from '../src/db/read-cache.js';
import { UncountedDatabaseError } from '../src/db/write-count.js';
import { openDatabase } from '../src/index.js';
import { tempDir } from './helpers.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReadCache', () => {
  let cleanup: () => void;
  let file: string;
  let db: ReturnType<typeof openDatabase>;
  let loads: number;
  let cache: ReadCache<string, string | undefined>;
  const load = (): string | undefined => {
    loads++;
    return db.prepare<[], { v: string }>("SELECT v FROM kv WHERE k = 'a'").get()?.v;
  };

  beforeEach(() => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    file = join(tmp.dir, 'tether.db');
    db = openDatabase(file);
    db.exec(
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT); CREATE TABLE other (x); INSERT INTO kv VALUES ('a', '1')",
    );
    loads = 0;
    cache = new ReadCache(db);
  });
  afterEach(() => {
    db.close();
    cleanup();
  });

  it('answers repeated reads from memory while nothing is written', () => {
    expect([cache.get('a', load), cache.get('a', load), cache.get('a', load)]).toEqual(['1', '1', '1']);
    expect(loads).toBe(1);
  });

  it('sees a write through the same connection, to any table, at once: exec and every statement that may write', () => {
    cache.get('a', load);
    db.exec("UPDATE kv SET v = '2'");
    expect(cache.get('a', load)).toBe('2');
    db.exec('INSERT INTO other VALUES (1)');
    cache.get('a', load);
    expect(loads).toBe(3);
    const update = db.prepare<[string], unknown>("UPDATE kv SET v = ? WHERE k = 'a'");
    for (const [v, run] of [
      ['4', () => update.run('4')],
      ['5', () => db.prepare("UPDATE kv SET v = '5' RETURNING v").get()],
      ['6', () => db.prepare("UPDATE kv SET v = '6' RETURNING v").all()],
      ['7', () => [...db.prepare("UPDATE kv SET v = '7' RETURNING v").iterate()]],
      [
        '7b',
        () => {
          // iterate() writes lazily, on its first step: a lookup in between must not keep the old value.
          const steps = db.prepare("UPDATE kv SET v = '7b' RETURNING v").iterate();
          expect(cache.get('a', load)).toBe('7');
          steps.next();
          steps.return?.();
        },
      ],
      ['8', () => db.transaction(() => update.run('8'))()],
    ] as const) {
      run();
      expect(cache.get('a', load)).toBe(v);
    }
    // Reads count nothing: the cache keeps answering from memory.
    const before = loads;
    db.prepare('SELECT count(*) FROM other').get();
    expect(cache.get('a', load)).toBe('8');
    expect(loads).toBe(before);
  });

  it('refuses a connection that does not count its writes, saying how to open it', () => {
    const raw = new BetterSqlite3(':memory:');
    try {
      expect(() => new ReadCache(raw).get('a', () => 'x')).toThrow(UncountedDatabaseError);
      expect(() => new ReadCache(raw).get('a', () => 'x')).toThrow(/open it with openDatabase/);
    } finally {
      raw.close();
    }
  });

  it('sees, in the same turn, a write through the connection by another writer that calls markChanged', () => {
    const other = new ReadCache<string, string | undefined>(db);
    expect(cache.get('a', load)).toBe('1');
    expect(other.get('a', load)).toBe('1');
    db.exec("UPDATE kv SET v = '5'"); // e.g. the cluster's change applier
    markChanged(db);
    expect(cache.get('a', load)).toBe('5');
    expect(other.get('a', load)).toBe('5');
  });

  it("is emptied by another connection's commit, seen once EXTERNAL_CHECK_MS passed since the last check", async () => {
    const clock = { now: () => 1_000 };
    const timed = new ReadCache<string, string | undefined>(db, 100, clock);
    expect(timed.get('a', load)).toBe('1');
    const other = openDatabase(file);
    other.exec("UPDATE kv SET v = '3'");
    other.close();
    await nextTurn();
    clock.now = () => 1_000 + EXTERNAL_CHECK_MS - 1;
    expect(timed.get('a', load)).toBe('1'); // not checked again yet: data_version costs a pager lock
    await nextTurn();
    clock.now = () => 1_000 + EXTERNAL_CHECK_MS;
    expect(timed.get('a', load)).toBe('3');
    expect(loads).toBe(2);
  });

  it('checks again at once when the clock went backwards', async () => {
    const clock = { now: () => 5_000 };
    const timed = new ReadCache<string, string | undefined>(db, 100, clock);
    timed.get('a', load);
    const other = openDatabase(file);
    other.exec("UPDATE kv SET v = '6'");
    other.close();
    await nextTurn();
    clock.now = () => 4_000;
    expect(timed.get('a', load)).toBe('6');
  });

  it('keeps neither misses (by default) nor what it read inside a transaction', () => {
    expect(cache.get('b', load)).toBe('1');
    db.exec('DELETE FROM kv');
    cache.invalidate();
    expect(cache.get('a', load)).toBeUndefined();
    expect(cache.get('a', load)).toBeUndefined();
    expect(loads).toBe(3);
    expect(() =>
      db.transaction(() => {
        db.exec("INSERT INTO kv VALUES ('a', 'uncommitted')");
        expect(cache.get('a', load)).toBe('uncommitted');
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(cache.get('a', load)).toBeUndefined();
  });

  it('starts over when it holds maxEntries keys', () => {
    const small = new ReadCache<string, number>(db, 2);
    let n = 0;
    for (const k of ['a', 'b', 'c', 'a']) small.get(k, () => ++n);
    expect(n).toBe(4);
  });
});
