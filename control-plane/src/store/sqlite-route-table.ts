import type BetterSqlite3 from 'better-sqlite3';
import {
  eventResult,
  planApply,
  planDeleteStale,
  planMarkStale,
  planReplaceOrigin,
  routeChanged,
  routeKey,
  type Route,
  type RouteEvent,
  type RouteFilter,
  type RouteKey,
  type RouteTable,
  type KeysetPage,
  systemClock,
  type Clock,
} from '@tether/shared';
import { changeStamp } from '../db/read-cache.js';
import { RouteIndex } from './route-index.js';
import { routeWhere, toParams, toRoute, type RouteRow, type UpsertParams } from './route-rows.js';
import type { ServiceTallies } from './service-tallies.js';

/**
 * The control plane's RouteTable: rows in SQLite, every read from an in-memory index (RouteIndex), so nothing on
 * the connect or call path scans the table. Every mutation plans its events with the shared planners (so it
 * behaves exactly like MemoryRouteTable), writes them, and bumps the table's generation row in the same
 * transaction; a caller may nest it in a larger transaction (better-sqlite3 turns the inner one into a
 * savepoint). The index checks the generation before it answers (inside a transaction on every use, otherwise
 * once per event-loop turn) and reloads from SQLite when it moved under it: a rolled-back transaction, or another
 * connection's write.
 */
export class SqliteRouteTable implements RouteTable {
  readonly #db: BetterSqlite3.Database;
  readonly #upsert: BetterSqlite3.Statement<UpsertParams>;
  readonly #delete: BetterSqlite3.Statement<[string, string]>;
  readonly #reactivate: BetterSqlite3.Statement<[string]>;
  readonly #staleOrigin: BetterSqlite3.Statement<[number, string]>;
  readonly #all: BetterSqlite3.Statement<[], RouteRow>;
  readonly #readGeneration: BetterSqlite3.Statement<[], { n: number }>;
  readonly #bumpGeneration: BetterSqlite3.Statement<[], { n: number }>;
  /** Every mutation's transaction (a savepoint inside a caller's), made once: see GroupCommit. */
  readonly #tx: BetterSqlite3.Transaction<(fn: (index: RouteIndex) => RouteEvent[]) => RouteEvent[]>;
  readonly #index = new RouteIndex();
  #generation = -1;
  /** The database's changeStamp when the generation row was last read outside a transaction ('' for none). */
  #stamp = '';
  #checkedThisTurn = false;
  readonly #clock: Pick<Clock, 'now'>;
  #resetScheduled = false;

  /** `db` must be open with the migrations applied (see `openDatabase`). */
  constructor(db: BetterSqlite3.Database, clock: Pick<Clock, 'now'> = systemClock) {
    this.#db = db;
    this.#clock = clock;
    this.#tx = db.transaction((fn: (index: RouteIndex) => RouteEvent[]) => fn(this.#fresh()));
    this.#upsert = db.prepare<UpsertParams>(
      `INSERT INTO routes (key, service, address, origin, origin_kind, site, labels, metric, state, version, stale_since, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (origin, key) DO UPDATE SET service = excluded.service, address = excluded.address,
         origin_kind = excluded.origin_kind, site = excluded.site, labels = excluded.labels,
         metric = excluded.metric, state = excluded.state, version = excluded.version, stale_since = excluded.stale_since,
         source = excluded.source`,
    );
    // Rows are keyed by (origin, key) (migration 14): every statement on one row names its origin.
    this.#delete = db.prepare<[string, string]>('DELETE FROM routes WHERE origin = ? AND key = ?');
    this.#reactivate = db.prepare<[string]>(
      "UPDATE routes SET state = 'active', stale_since = NULL WHERE origin = ? AND state = 'stale'",
    );
    this.#staleOrigin = db.prepare<[number, string]>(
      "UPDATE routes SET state = 'stale', stale_since = ? WHERE origin = ? AND state = 'active'",
    );
    this.#all = db.prepare<[], RouteRow>('SELECT * FROM routes');
    this.#readGeneration = db.prepare<[], { n: number }>('SELECT n FROM route_generation WHERE id = 1');
    this.#bumpGeneration = db.prepare<[], { n: number }>(
      'UPDATE route_generation SET n = n + 1 WHERE id = 1 RETURNING n',
    );
    // The index loads at `load()` or the first read, not here: a start marks the edges' routes stale in bulk
    // (markRestarted) first, and loading before that would load a fleet's routes twice.
  }

  /**
   * Loads the index now, if it is not current. A start calls it before it listens: otherwise the first read (an
   * agent's resume, a scrape) loads a fleet's routes in one turn in the middle of the reconnect storm.
   */
  load(): void {
    this.#fresh();
  }

  get(key: RouteKey): Route | undefined {
    return this.#fresh().get(key);
  }

  list(filter: RouteFilter = {}): Route[] {
    return this.#fresh().list(filter);
  }

  /** One page of the routes matching the filter in key order, after `after` (see RouteIndex.page). */
  page(filter: RouteFilter, after: RouteKey | undefined, limit: number, budget?: number): KeysetPage<Route> {
    return this.#fresh().page(filter, after, limit, budget);
  }

  /** The distinct service names of the routes (from the index). */
  serviceNames(): string[] {
    return [...this.#fresh().serviceNames()];
  }

  /** The distinct origins of the stale routes (from the index). */
  staleOrigins(): Set<string> {
    return this.#fresh().staleOrigins();
  }

  count(filter: RouteFilter = {}): number {
    return this.#fresh().count(filter);
  }

  /** Each service with routes, in name order, with its routes counted (see ServiceTallies). */
  tallies(): ServiceTallies {
    return this.#fresh().tallies;
  }

  apply(upserts: readonly Route[], removes: readonly RouteKey[] = []): RouteEvent[] {
    return this.#transaction((index) =>
      this.#commit(
        planApply((k) => index.get(k), upserts, removes),
        upserts,
      ),
    );
  }

  replaceOrigin(origin: string, routes: readonly Route[]): RouteEvent[] {
    return this.#transaction((index) =>
      this.#commit(
        planReplaceOrigin(index.list({ origin }), routes, (k) => index.get(k)),
        routes,
      ),
    );
  }

  /**
   * Makes every stale route of `origin` active again, as they are (an agent back unchanged): the same events as
   * `replaceOrigin` with its stored routes made active, written with one statement on the origin's index instead
   * of one upsert per route.
   */
  reactivateOrigin(origin: string): RouteEvent[] {
    return this.#transaction((index) => {
      // The keys come with the routes from the index: no key computed again per route.
      const writes = new Map<RouteKey, Route>();
      const events = index.entries({ origin, state: 'stale' }).map(([key, previous]): RouteEvent => {
        const { staleSince: _since, ...route } = previous;
        const active: Route = { ...route, state: 'active' };
        writes.set(key, active);
        return { type: 'updated', route: active, previous };
      });
      if (events.length === 0) return events;
      this.#reactivate.run(origin);
      return this.#record(events, writes);
    });
  }

  /** One origin's routes (an agent gone) are written with one statement on the origin's index. */
  markStale(filter: RouteFilter, at: number): RouteEvent[] {
    const { origin, ...rest } = filter;
    const byOrigin = origin !== undefined && Object.values(rest).every((v) => v === undefined);
    return this.#transaction((index) => {
      const events = planMarkStale(index.list({ ...filter, state: 'active' }), at);
      if (!byOrigin || events.length === 0) return this.#commit(events);
      this.#staleOrigin.run(at, origin);
      return this.#record(events);
    });
  }

  deleteStaleBefore(cutoff: number): RouteEvent[] {
    return this.#transaction((index) => this.#commit(planDeleteStale(index.staleBefore(cutoff), cutoff)));
  }

  /**
   * Marks every active route matching `filter` stale since `at` in one statement, without events: for the start
   * of the process (nobody listens yet, and a fleet's routes would otherwise be as many statements). Returns how
   * many routes it marked.
   */
  markStaleInBulk(filter: Pick<RouteFilter, 'originKind'>, at: number): number {
    const marked = this.#db
      .transaction(() => {
        const { sql, params } = routeWhere({ ...filter, state: 'active' });
        const marked = this.#db
          .prepare(`UPDATE routes SET state = 'stale', stale_since = ?${sql}`)
          .run(at, ...params).changes;
        if (marked > 0) this.#bumpGeneration.get();
        return marked;
      })
      .immediate();
    this.#checkedThisTurn = false; // the index reloads at the next read, in this turn too
    this.#stamp = '';
    return marked;
  }

  #transaction(fn: (index: RouteIndex) => RouteEvent[]): RouteEvent[] {
    return this.#tx.immediate(fn);
  }

  /**
   * Writes the planned events, plus unchanged upserts (their version may have moved), like MemoryRouteTable; then
   * the index, and the generation it now matches (inside the caller's transaction).
   */
  #commit(events: RouteEvent[], upserts: readonly Route[] = []): RouteEvent[] {
    const writes = new Map<RouteKey, Route | undefined>();
    for (const route of upserts) {
      const key = routeKey(route);
      const stored = this.#index.get(key);
      const same =
        stored?.version === route.version &&
        stored.staleSince === route.staleSince &&
        !routeChanged(stored, route);
      if (!same) writes.set(key, route);
    }
    for (const event of events) writes.set(routeKey(event.route), eventResult(event));
    if (writes.size === 0) return events;
    for (const [key, route] of writes) {
      if (route) this.#upsert.run(...toParams(key, route));
      else {
        // The index holds what is removed until #record: its origin says where its row is.
        const stored = this.#index.get(key);
        if (stored) this.#delete.run(stored.origin, key);
      }
    }
    return this.#record(events, writes);
  }

  /**
   * After the rows were written: the index, and the generation it now matches (inside the caller's transaction).
   * `writes` defaults to the events' results.
   */
  #record(
    events: RouteEvent[],
    writes: ReadonlyMap<RouteKey, Route | undefined> = new Map(
      events.map((e) => [routeKey(e.route), eventResult(e)]),
    ),
  ): RouteEvent[] {
    const generation = this.#bumpGeneration.get()?.n ?? 0;
    for (const [key, route] of writes) {
      if (route) this.#index.set(key, route);
      else this.#index.delete(key);
    }
    this.#generation = generation;
    this.#checkedThisTurn = false;
    this.#stamp = ''; // a rollback would leave the stamp where it was: read the row at the next check
    return events;
  }

  /**
   * The index, reloaded first when the generation in SQLite is not the one it holds. Outside a transaction the
   * check holds for the rest of the event-loop turn; inside one it holds for nothing (the transaction may roll back).
   */
  #fresh(): RouteIndex {
    const inTransaction = this.#db.inTransaction;
    if (this.#checkedThisTurn && !inTransaction) return this.#index;
    // Outside a transaction, the generation row (a page read and a lock) is read only when something may have
    // written: this connection (countWrites; a write that rolled back counts too) or another one.
    const stamp = inTransaction ? '' : changeStamp(this.#db, this.#clock.now());
    if (stamp !== '' && stamp === this.#stamp) return this.#checked();
    const generation = this.#readGeneration.get()?.n ?? 0;
    if (generation !== this.#generation) {
      this.#index.clear();
      for (const row of this.#all.iterate()) this.#index.set(row.key, toRoute(row));
      this.#generation = generation;
    }
    this.#stamp = stamp;
    if (inTransaction) return this.#index;
    return this.#checked();
  }

  /** The index, current for the rest of this event-loop turn. */
  #checked(): RouteIndex {
    this.#checkedThisTurn = true;
    if (!this.#resetScheduled) {
      this.#resetScheduled = true;
      setImmediate(() => {
        this.#resetScheduled = false;
        this.#checkedThisTurn = false;
      }).unref();
    }
    return this.#index;
  }
}
