import type BetterSqlite3 from 'better-sqlite3';
import {
  CENTRAL,
  centralRoute,
  ConflictError,
  NotFoundError,
  routeChanged,
  routeKey,
  type CentralService,
  type Clock,
  type RouteEvent,
  type RouteTable,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { Distribution } from '../agents/sync/distribution.js';
import type { EventBus } from '../observability/event-bus.js';
import type { Logger } from '../observability/logger.js';
import type { ServiceSource, ServiceStore } from '../store/service-store.js';

/** The audit log a change is recorded in (same transaction), and who made it. */
export interface ChangeAudit {
  log: AuditLog;
  actor: string;
}

/** What central service management needs. */
export interface CentralServicesDeps {
  db: BetterSqlite3.Database;
  table: RouteTable;
  services: ServiceStore;
  distribution: Distribution;
  bus: EventBus;
  logger: Logger;
  clock: Clock;
  /** The control plane's site, stamped on central routes. */
  site: string;
}

/**
 * Central services: each is stored in the services table AND as a central route, in one transaction; then the
 * route events are published and every synced agent gets its delta.
 */
export class CentralServices {
  readonly #deps: CentralServicesDeps;
  /** The services table as `reconcileStored` last saw it (JSON). */
  #lastStored: string | undefined;

  constructor(deps: CentralServicesDeps) {
    this.#deps = deps;
  }

  /** Adds a service through the API, audited as `service-set`; ConflictError when the name exists. */
  async add(service: CentralService, audit: ChangeAudit): Promise<CentralService> {
    await this.#commit(() => {
      if (this.#deps.services.get(service.name)) {
        throw new ConflictError(`service "${service.name}" exists already`);
      }
      audit.log.record({
        kind: 'service-set',
        actor: audit.actor,
        detail: { service: service.name, ...service },
      });
      return this.#upsert(service, 'api');
    });
    return service;
  }

  /** Deletes a service, audited as `service-deleted`; NotFoundError when unknown. */
  async remove(name: string, audit: ChangeAudit): Promise<void> {
    await this.#commit(() => {
      if (!this.#deps.services.delete(name)) throw new NotFoundError(`service "${name}" not found`);
      audit.log.record({ kind: 'service-deleted', actor: audit.actor, detail: { service: name } });
      return this.#deps.table.apply([], this.#centralKeys(name));
    });
  }

  /** Makes the config file's services the set of `config` services (upserts them, drops config ones gone). */
  async syncConfig(list: readonly CentralService[]): Promise<void> {
    const names = new Set(list.map((s) => s.name));
    await this.#commit(() => {
      const events: RouteEvent[] = [];
      for (const { service, source } of this.#deps.services.list()) {
        if (source !== 'config' || names.has(service.name)) continue;
        this.#deps.services.delete(service.name);
        events.push(...this.#deps.table.apply([], this.#centralKeys(service.name)));
      }
      for (const service of list) events.push(...this.#upsert(service, 'config'));
      return events;
    });
  }

  /**
   * Makes the central routes match the services table after another process changed it (`tether-cp apply`, at start
   * or on a `data_version` change): a route made, replaced or withdrawn per service that differs, then the edges
   * told. Nothing happens when the table is as last seen here.
   */
  async reconcileStored(): Promise<void> {
    const stored = this.#deps.services.list().map((r) => r.service);
    const seen = JSON.stringify(stored);
    if (seen === this.#lastStored) return;
    await this.#commit(() => {
      const names = new Set(stored.map((s) => s.name));
      const central = this.#deps.table.list({ originKind: 'central', origin: CENTRAL });
      const gone = central.filter((r) => !names.has(r.service)).map(routeKey);
      const events = this.#deps.table.apply([], gone);
      for (const service of stored) {
        const current = central.filter((r) => r.service === service.name);
        const wanted = centralRoute(service, this.#deps.site, 0);
        const [only] = current;
        if (
          current.length !== 1 ||
          !only ||
          routeKey(only) !== routeKey(wanted) ||
          routeChanged(only, wanted)
        )
          events.push(...this.#route(service));
      }
      return events;
    });
    this.#lastStored = seen;
  }

  #upsert(service: CentralService, source: ServiceSource): RouteEvent[] {
    this.#deps.services.upsert(service, source);
    return this.#route(service);
  }

  /** Writes a service's central route (replacing any other of its name). */
  #route(service: CentralService): RouteEvent[] {
    const route = centralRoute(service, this.#deps.site, this.#deps.clock.now());
    const stale = this.#centralKeys(service.name).filter((k) => k !== routeKey(route));
    return this.#deps.table.apply([route], stale);
  }

  #centralKeys(name: string): string[] {
    return this.#deps.table.list({ service: name, origin: CENTRAL }).map(routeKey);
  }

  async #commit(fn: () => RouteEvent[]): Promise<void> {
    const events = this.#deps.db.transaction(fn).immediate();
    this.#deps.bus.emitRouteEvents(events);
    await this.#deps.distribution.centralChanged();
  }
}
