import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/db/group-commit.js';
import { twoConnections } from './helpers.js';

describe('GroupCommit (real SQLite)', () => {
  let conn: ReturnType<typeof twoConnections>;
  let errors: string[];
  let commits: { ms: number; items: number }[];
  let gc: GroupCommit;
  const rows = (): unknown[] => conn.other.prepare('SELECT v FROM t ORDER BY rowid').pluck().all();

  beforeEach(() => {
    conn = twoConnections();
    conn.db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
    errors = [];
    commits = [];
    gc = new GroupCommit({
      db: conn.db,
      logger: { error: (_obj, msg) => errors.push(msg) },
      committed: (ms, items) => commits.push({ ms, items }),
      maxItems: 3,
    });
  });
  afterEach(() => conn.close());

  const insert = (v: string) => () => conn.db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;

  it('commits queued work together, in order; each after runs once committed, outside the transaction', () => {
    const seen: [number, boolean, unknown[]][] = [];
    gc.enqueue(insert('a'), (n) => seen.push([n, conn.db.inTransaction, rows()]));
    gc.enqueue(insert('b'), (n) => seen.push([n, conn.db.inTransaction, rows()]));
    expect(rows()).toEqual([]);
    expect(gc.pending).toBe(2);
    gc.flush();
    expect(seen).toEqual([
      [1, false, ['a', 'b']],
      [1, false, ['a', 'b']],
    ]);
    expect(commits).toEqual([{ ms: expect.any(Number) as number, items: 2 }]);
  });

  it('rolls back a piece that throws alone, logs it and skips its after', () => {
    const afters: string[] = [];
    gc.enqueue(insert('a'), () => afters.push('a'));
    gc.enqueue(
      () => {
        insert('x')();
        insert('a')(); // UNIQUE: throws, so 'x' goes too
      },
      () => afters.push('bad'),
    );
    gc.enqueue(insert('c'), () => afters.push('c'));
    gc.flush();
    expect(rows()).toEqual(['a', 'c']);
    expect(afters).toEqual(['a', 'c']);
    expect(errors).toEqual(['queued write failed and was rolled back alone']);
  });

  it('flushes by itself: after the window, or on the next turn once maxItems are queued', async () => {
    gc.enqueue(insert('a'));
    await new Promise((r) => setTimeout(r, 30));
    expect(rows()).toEqual(['a']);
    for (const v of ['b', 'c', 'd']) gc.enqueue(insert(v));
    await new Promise((r) => setImmediate(r));
    expect(rows()).toEqual(['a', 'b', 'c', 'd']);
    expect(commits.map((c) => c.items)).toEqual([1, 3]);
  });

  it('commits a backlog in slices of at most sliceMs of work, one per turn, in order', async () => {
    const sliced = new GroupCommit({
      db: conn.db,
      logger: { error: (_obj, msg) => errors.push(msg) },
      committed: (ms, items) => commits.push({ ms, items }),
      sliceMs: 0,
    });
    const afters: string[] = [];
    for (const v of ['a', 'b', 'c']) sliced.enqueue(insert(v), () => afters.push(v));
    await new Promise((r) => setTimeout(r, 30));
    // Each turn took one piece (its slice was spent after the first), so the loop ran in between.
    expect(commits.map((c) => c.items)).toEqual([1, 1, 1]);
    expect(afters).toEqual(['a', 'b', 'c']);
    expect(rows()).toEqual(['a', 'b', 'c']);
    sliced.enqueue(insert('d'));
    sliced.enqueue(insert('e'));
    sliced.flush(); // all of it now, slice after slice
    expect(rows()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps nothing and runs no after when the commit itself fails', () => {
    const afters: string[] = [];
    gc.enqueue(insert('a'), () => afters.push('a'));
    // Another connection holds the write lock: BEGIN IMMEDIATE fails (busy) for the whole group.
    conn.other.pragma('busy_timeout = 0');
    conn.db.pragma('busy_timeout = 0');
    conn.other.exec('BEGIN IMMEDIATE');
    gc.flush();
    conn.other.exec('ROLLBACK');
    expect(rows()).toEqual([]);
    expect(afters).toEqual([]);
    expect(errors).toEqual(['group commit failed: nothing of it was kept']);
  });

  it('restores the connection synchronous setting after a commit that is not durable', () => {
    conn.db.pragma('synchronous = FULL');
    const soft = new GroupCommit({ db: conn.db, logger: { error: () => undefined }, durable: false });
    let during: unknown;
    soft.enqueue(insert('a'), () => undefined);
    soft.enqueue(() => (during = conn.db.pragma('synchronous', { simple: true })));
    soft.flush();
    expect(during).toBe(1); // NORMAL
    expect(conn.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });
});
