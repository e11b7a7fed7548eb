import type BetterSqlite3 from 'better-sqlite3';
import type { CentralService, Labels, Visibility } from '@tether/shared';
import { OwnedCache } from '../db/owned-cache.js';

/** Where a central service was defined. */
export type ServiceSource = 'config' | 'api';

/** A stored central service and where it came from. */
export interface ServiceRecord {
  service: CentralService;
  source: ServiceSource;
}

interface ServiceRow {
  name: string;
  url: string;
  labels: string;
  metric: number;
  visible_to: string | null;
  source: ServiceSource;
}

function toRecord(row: ServiceRow): ServiceRecord {
  const service: CentralService = {
    name: row.name,
    url: row.url,
    labels: JSON.parse(row.labels) as Labels,
    metric: row.metric,
  };
  if (row.visible_to !== null) service.visibleTo = JSON.parse(row.visible_to) as Visibility;
  return { service, source: row.source };
}

/**
 * The services table: central services from the config file, the API and `tether-cp apply` (another process). The
 * visibility map every agent's route distribution reads is kept until a write through this store or a commit by
 * another connection (OwnedCache).
 */
export class ServiceStore {
  readonly #stmts;
  readonly #visibility: OwnedCache<'all', ReadonlyMap<string, Visibility | undefined>>;

  constructor(db: BetterSqlite3.Database) {
    this.#visibility = new OwnedCache(db);
    this.#stmts = {
      get: db.prepare<[string], ServiceRow>('SELECT * FROM services WHERE name = ?'),
      list: db.prepare<[], ServiceRow>('SELECT * FROM services ORDER BY name'),
      upsert: db.prepare<ServiceRow>(
        `INSERT INTO services (name, url, labels, metric, visible_to, source)
         VALUES (@name, @url, @labels, @metric, @visible_to, @source)
         ON CONFLICT (name) DO UPDATE SET url = excluded.url, labels = excluded.labels, metric = excluded.metric,
           visible_to = excluded.visible_to, source = excluded.source`,
      ),
      delete: db.prepare<[string]>('DELETE FROM services WHERE name = ?'),
    };
  }

  /** The service with this name, if any. */
  get(name: string): ServiceRecord | undefined {
    const row = this.#stmts.get.get(name);
    return row ? toRecord(row) : undefined;
  }

  /** Every service, ordered by name. */
  list(): ServiceRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /** Central service name -> its visibility rule (what `routesForEdge` needs). */
  visibility(): ReadonlyMap<string, Visibility | undefined> {
    const load = (): ReadonlyMap<string, Visibility | undefined> =>
      new Map(this.list().map(({ service }) => [service.name, service.visibleTo]));
    return this.#visibility.get('all', load) ?? load();
  }

  /** Inserts or replaces a service. */
  upsert(service: CentralService, source: ServiceSource): void {
    this.#visibility.clear();
    this.#stmts.upsert.run({
      name: service.name,
      url: service.url,
      labels: JSON.stringify(service.labels),
      metric: service.metric,
      visible_to: service.visibleTo === undefined ? null : JSON.stringify(service.visibleTo),
      source,
    });
  }

  /** Deletes a service; false when it did not exist. */
  delete(name: string): boolean {
    this.#visibility.clear();
    return this.#stmts.delete.run(name).changes === 1;
  }
}
