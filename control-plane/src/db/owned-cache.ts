import type BetterSqlite3 from 'better-sqlite3';
import { externalGeneration } from './read-cache.js';

/**
 * A cache of the rows of one table that one store owns and writes only through itself: the store evicts each key
 * it writes, so the cache outlives the writes around it (unlike a ReadCache, emptied by any write), and it is
 * emptied when rows may have changed behind the store's back: another connection's commit, or markChanged by
 * another writer through this connection (the cluster's change applier). Nothing is kept from inside a transaction
 * (it may roll back); what was kept before it stays true, since the store evicts what the transaction writes.
 */
export class OwnedCache<K, V> {
  readonly #db: BetterSqlite3.Database;
  readonly #entries = new Map<K, V>();
  #seen = '';

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** The cached value of `key`, else `load()`'s (kept, outside a transaction, unless undefined). */
  get(key: K, load: () => V | undefined): V | undefined {
    const generation = externalGeneration(this.#db);
    if (generation !== this.#seen) {
      this.#entries.clear();
      this.#seen = generation;
    }
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const value = load();
    if (value !== undefined && !this.#db.inTransaction) this.#entries.set(key, value);
    return value;
  }

  /** Forgets one key (its row is being written). */
  evict(key: K): void {
    this.#entries.delete(key);
  }

  /** Forgets everything (many rows are being written). */
  clear(): void {
    this.#entries.clear();
  }
}
