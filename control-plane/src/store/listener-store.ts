import type BetterSqlite3 from 'better-sqlite3';

/** Where a listener was defined: the API (kept until deleted) or the config file (synced at every start). */
export type ListenerSource = 'api' | 'config';

/** A stored TCP listener: the port (its key), the address it binds, the service it forwards to. */
export interface ListenerRecord {
  port: number;
  host: string;
  service: string;
  source: ListenerSource;
  createdAt: number;
}

interface ListenerRow {
  port: number;
  host: string;
  service: string;
  source: ListenerSource;
  created_at: number;
}

const toRecord = (row: ListenerRow): ListenerRecord => ({
  port: row.port,
  host: row.host,
  service: row.service,
  source: row.source,
  createdAt: row.created_at,
});

/** The tcp_listeners table. */
export class ListenerStore {
  readonly #stmts;

  constructor(db: BetterSqlite3.Database) {
    this.#stmts = {
      get: db.prepare<[number], ListenerRow>('SELECT * FROM tcp_listeners WHERE port = ?'),
      list: db.prepare<[], ListenerRow>('SELECT * FROM tcp_listeners ORDER BY port'),
      upsert: db.prepare<ListenerRow>(
        `INSERT INTO tcp_listeners (port, host, service, source, created_at)
         VALUES (@port, @host, @service, @source, @created_at)
         ON CONFLICT (port) DO UPDATE SET host = excluded.host, service = excluded.service,
           source = excluded.source, created_at = excluded.created_at`,
      ),
      delete: db.prepare<[number]>('DELETE FROM tcp_listeners WHERE port = ?'),
    };
  }

  /** The listener on `port`, if any. */
  get(port: number): ListenerRecord | undefined {
    const row = this.#stmts.get.get(port);
    return row && toRecord(row);
  }

  /** Every listener, by port. */
  list(): ListenerRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /** Stores (or replaces) the listener on its port. */
  upsert(record: ListenerRecord): void {
    this.#stmts.upsert.run({
      port: record.port,
      host: record.host,
      service: record.service,
      source: record.source,
      created_at: record.createdAt,
    });
  }

  /** Deletes the listener on `port`; false when there was none. */
  delete(port: number): boolean {
    return this.#stmts.delete.run(port).changes > 0;
  }
}
