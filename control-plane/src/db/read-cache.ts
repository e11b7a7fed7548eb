import type BetterSqlite3 from 'better-sqlite3';
import { systemClock, type Clock } from '@tether/shared';
import { countWrite, writesThrough } from './write-count.js';

/**
 * How long another connection's commit may go unseen by a ReadCache: `data_version` costs a pager lock (two fcntl
 * calls and a few microseconds), too much to read on every event-loop turn of a hot path (each proxied call made one).
 */
export const EXTERNAL_CHECK_MS = 10;

/** What a database's generation is made of: this connection's write count, and `data_version` as last read. */
interface Generation {
  dataVersion: BetterSqlite3.Statement<[], unknown[]>;
  version: unknown;
  /** When `version` was read (clock ms); NaN until it is. */
  versionAt: number;
  /** The stamp, and the write count it was made from. */
  value: string;
  writes: number;
}

const generations = new WeakMap<BetterSqlite3.Database, Generation>();

/**
 * The writes counted through `db` (countWrites: a number, current at once) and `data_version` (moves with any commit
 * by others, read at most every EXTERNAL_CHECK_MS).
 */
function generationOf(db: BetterSqlite3.Database, now: number): Generation {
  const writes = writesThrough(db);
  let g = generations.get(db);
  if (!g) {
    g = {
      dataVersion: db.prepare<[], unknown[]>('PRAGMA data_version').raw(),
      version: undefined,
      versionAt: Number.NaN,
      value: '',
      writes: -1,
    };
    generations.set(db, g);
  }
  let moved = writes !== g.writes;
  if (!(now - g.versionAt < EXTERNAL_CHECK_MS && now >= g.versionAt)) {
    const version = g.dataVersion.get()?.[0];
    g.versionAt = now;
    if (version !== g.version) moved = true;
    g.version = version;
  }
  if (moved) {
    g.writes = writes;
    g.value = `${writes}:${String(g.version)}`;
  }
  return g;
}

/**
 * What moves when `db` may have changed: any write through this connection (at once) or another connection's commit
 * (within EXTERNAL_CHECK_MS). Cheap enough for every call of a hot path: it reads no page and runs no statement
 * but every EXTERNAL_CHECK_MS.
 */
export function changeStamp(db: BetterSqlite3.Database, now: number): string {
  return generationOf(db, now).value;
}

/**
 * Makes every ReadCache and route index of `db` read `data_version` again at their next check, whenever the last
 * one was: for the DataVersionWatch, which saw another connection's commit and is about to tell listeners that
 * read through the caches (a service's policy) in the same turn.
 */
export function markExternalChange(db: BetterSqlite3.Database): void {
  const g = generations.get(db);
  if (g) g.versionAt = Number.NaN;
}

/**
 * Moves the generation of every ReadCache and OwnedCache of `db`: for a writer that is not a cache's owner (the
 * cluster's change applier), so that its commit shows at once. (Its statements through `db` already count as
 * writes; an OwnedCache sees them only through this.)
 */
export function markChanged(db: BetterSqlite3.Database): void {
  countWrite(db);
  marks.set(db, (marks.get(db) ?? 0) + 1);
}

/** How often markChanged was called per database. */
const marks = new WeakMap<BetterSqlite3.Database, number>();
/** Per database: `data_version` as read this event-loop turn. */
const dataVersions = new WeakMap<
  BetterSqlite3.Database,
  { statement: BetterSqlite3.Statement<[], unknown[]>; value: unknown; fresh: boolean }
>();

/**
 * What moves when `db` may hold rows a cache owner did not write itself: another connection's commit
 * (`data_version`, read at most once per event-loop turn) or markChanged by another writer through this
 * connection. Unlike the ReadCache generation it does not move with the owner's own writes.
 */
export function externalGeneration(db: BetterSqlite3.Database): string {
  let v = dataVersions.get(db);
  if (!v) {
    v = { statement: db.prepare<[], unknown[]>('PRAGMA data_version').raw(), value: undefined, fresh: false };
    dataVersions.set(db, v);
  }
  if (!v.fresh) {
    v.value = v.statement.get()?.[0];
    v.fresh = true;
    const stale = v;
    setImmediate(() => (stale.fresh = false)).unref();
  }
  return `${String(v.value)}:${marks.get(db) ?? 0}`;
}

/**
 * A read cache over one SQLite connection, emptied when the database may have changed since it was filled: any
 * statement that may write run through this connection (countWrites: seen at once, in the same turn) or a commit by
 * another connection or process (`data_version`, seen from the first lookup EXTERNAL_CHECK_MS after the last check,
 * or at once after markExternalChange). Inside a transaction it always loads (and keeps nothing: it may roll back).
 */
export class ReadCache<K, V> {
  readonly #db: BetterSqlite3.Database;
  readonly #maxEntries: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #entries = new Map<K, V>();
  #seen = '';

  constructor(db: BetterSqlite3.Database, maxEntries = 10_000, clock: Pick<Clock, 'now'> = systemClock) {
    this.#db = db;
    this.#maxEntries = maxEntries;
    this.#clock = clock;
  }

  /** The cached value of `key`, or `load()`'s (kept when `keep` says so: by default when not undefined). */
  get(key: K, load: () => V, keep: (value: V) => boolean = (v) => v !== undefined): V {
    if (this.#db.inTransaction) return load();
    const generation = generationOf(this.#db, this.#clock.now()).value;
    if (generation !== this.#seen) {
      this.#entries.clear();
      this.#seen = generation;
    }
    if (this.#entries.has(key)) return this.#entries.get(key) as V;
    const value = load();
    if (keep(value)) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Empties the cache and makes the next lookup read the generation again (after a write by the owner). */
  invalidate(): void {
    this.#entries.clear();
    markChanged(this.#db);
  }
}
