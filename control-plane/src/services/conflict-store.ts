import type BetterSqlite3 from 'better-sqlite3';

/** A recorded service name conflict: an agent advertised a service the hub defines, first seen at `since`. */
export interface ConflictRecord {
  service: string;
  agent: string;
  since: number;
}

/** The service_conflicts table: one row per (service, agent), from the first sighting until its reason is gone. */
export class ConflictStore {
  readonly #stmts;

  constructor(db: BetterSqlite3.Database) {
    this.#stmts = {
      ofService: db.prepare<[string], ConflictRecord>(
        'SELECT service, agent, since FROM service_conflicts WHERE service = ? ORDER BY agent',
      ),
      services: db.prepare<[], { service: string }>('SELECT DISTINCT service FROM service_conflicts'),
      insert: db.prepare<[string, string, number]>(
        'INSERT INTO service_conflicts (service, agent, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      delete: db.prepare<[string, string]>('DELETE FROM service_conflicts WHERE service = ? AND agent = ?'),
    };
  }

  /** The recorded conflicts of one service, by agent id. */
  ofService(service: string): ConflictRecord[] {
    return this.#stmts.ofService.all(service);
  }

  /** Every service with a recorded conflict. */
  services(): string[] {
    return this.#stmts.services.all().map((r) => r.service);
  }

  /** Records a conflict; false when it was recorded already. */
  insert(service: string, agent: string, since: number): boolean {
    return this.#stmts.insert.run(service, agent, since).changes === 1;
  }

  /** Forgets a conflict; false when there was none. */
  delete(service: string, agent: string): boolean {
    return this.#stmts.delete.run(service, agent).changes === 1;
  }
}
