import type BetterSqlite3 from 'better-sqlite3';
import type { CommitWatch } from './commit-watch.js';
import { externalGeneration } from './read-cache.js';

/**
 * A cache of the rows of one table that one store owns and writes only through itself: the store hands it each row
 * it writes (`put`, write-through) or evicts it, so the cache outlives the writes around it (unlike a ReadCache,
 * emptied by any write), and it is emptied when rows may have changed behind the store's back: another
 * connection's commit, or markChanged by another writer through this connection (the cluster's change applier).
 * What is read or written inside a transaction may roll back: inside one a CommitWatch watches (a group commit's),
 * it is pending until the watch says committed (then kept) or rolled back (then dropped); inside any other
 * transaction nothing is kept and a write only evicts.
 */
export class OwnedCache<K, V> {
  readonly #db: BetterSqlite3.Database;
  readonly #watch: CommitWatch | undefined;
  readonly #entries = new Map<K, V>();
  /** Read or written inside the watched transaction running now. */
  readonly #pending = new Map<K, V>();
  #seen = '';

  constructor(db: BetterSqlite3.Database, watch?: CommitWatch) {
    this.#db = db;
    this.#watch = watch;
    watch?.onEnd((outcome) => {
      if (outcome === 'committed') for (const [key, value] of this.#pending) this.#entries.set(key, value);
      this.#pending.clear();
    });
  }

  /** The cached value of `key`, else `load()`'s (kept as said above, unless undefined). */
  get(key: K, load: () => V | undefined): V | undefined {
    this.#checkGeneration();
    if (this.#db.inTransaction) {
      const pending = this.#pending.get(key);
      if (pending !== undefined) return pending;
    }
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const value = load();
    if (value !== undefined) this.#keep(key, value);
    return value;
  }

  /** The value of `key` as just written (write-through), or undefined when it is not known: evicted. */
  put(key: K, value: V | undefined): void {
    this.#checkGeneration();
    this.evict(key);
    if (value !== undefined) this.#keep(key, value);
  }

  /** Forgets one key (its row is being written). */
  evict(key: K): void {
    this.#entries.delete(key);
    this.#pending.delete(key);
  }

  /** Forgets everything (many rows are being written). */
  clear(): void {
    this.#entries.clear();
    this.#pending.clear();
  }

  #keep(key: K, value: V): void {
    if (!this.#db.inTransaction) this.#entries.set(key, value);
    else if (this.#watch?.active) this.#pending.set(key, value);
  }

  #checkGeneration(): void {
    const generation = externalGeneration(this.#db);
    if (generation === this.#seen) return;
    this.clear();
    this.#seen = generation;
  }
}
