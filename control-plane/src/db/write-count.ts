import type BetterSqlite3 from 'better-sqlite3';

type Database = BetterSqlite3.Database;

/** A database given to a ReadCache or a route index that was not opened with `openDatabase`. */
export class UncountedDatabaseError extends Error {
  constructor() {
    super(
      'this SQLite connection does not count its writes: open it with openDatabase (or call countWrites right after opening it, before preparing any statement)',
    );
    this.name = 'UncountedDatabaseError';
  }
}

interface Count {
  n: number;
}

const counts = new WeakMap<Database, Count>();

/** The statement methods that execute it at once. */
const RUNS = ['run', 'get', 'all'] as const;

type Method = (...args: unknown[]) => unknown;

/**
 * Makes every execution of `stmt` count one write once it ran (a cache that looks after it reloads); `iterate`,
 * which writes lazily (UPDATE ... RETURNING), also counts one at every step.
 */
function countEach(stmt: BetterSqlite3.Statement<unknown[], unknown>, count: Count): void {
  const target = stmt as unknown as Record<(typeof RUNS)[number] | 'iterate', Method>;
  for (const name of RUNS) {
    const run = target[name];
    target[name] = function (this: unknown, ...args: unknown[]): unknown {
      try {
        return run.apply(this, args);
      } finally {
        count.n++;
      }
    };
  }
  const iterate = target.iterate;
  target.iterate = function (this: unknown, ...args: unknown[]): unknown {
    const steps = iterate.apply(this, args) as { next: Method };
    count.n++;
    const next = steps.next;
    steps.next = function (this: unknown, ...a: unknown[]): unknown {
      try {
        return next.apply(this, a);
      } finally {
        count.n++;
      }
    };
    return steps;
  };
}

/**
 * Counts, from now on, every statement run through `db` that may change rows: each prepared statement that is not
 * read-only (better-sqlite3's `readonly`), each `exec`. What a cache reads to know whether this connection wrote
 * since it filled: a JavaScript number, where `SELECT total_changes()` was a statement per event-loop turn (and a
 * proxied call is often a turn of its own). A write that fails or rolls back counts too: a cache then reloads once
 * for nothing. Call right after opening, before any statement is prepared (`openDatabase` does).
 */
export function countWrites(db: Database): void {
  if (counts.has(db)) return;
  const count: Count = { n: 0 };
  counts.set(db, count);
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  const counted = db as unknown as {
    prepare: (source: string) => BetterSqlite3.Statement<unknown[], unknown>;
    exec: (source: string) => Database;
  };
  counted.prepare = (source) => {
    const stmt = prepare(source) as BetterSqlite3.Statement<unknown[], unknown>;
    if (!stmt.readonly) countEach(stmt, count);
    return stmt;
  };
  counted.exec = (source) => {
    count.n++;
    return exec(source);
  };
}

/** Statements that may have written through `db` since countWrites (UncountedDatabaseError without it). */
export function writesThrough(db: Database): number {
  const count = counts.get(db);
  if (!count) throw new UncountedDatabaseError();
  return count.n;
}

/** Counts one write through `db` done out of sight (markChanged: a writer that is not the cache's owner). */
export function countWrite(db: Database): void {
  const count = counts.get(db);
  if (!count) throw new UncountedDatabaseError();
  count.n++;
}
