import type BetterSqlite3 from 'better-sqlite3';
import {
  CENTRAL,
  centralRoute,
  ConflictError,
  NotFoundError,
  routeKey,
  type CentralService,
  type Clock,
  type RouteEvent,
  type RouteTable,
} from '@tether/shared';
import type { Distribution } from '../agents/sync/distribution.js';
import type { EventBus } from '../observability/event-bus.js';
import type { Logger } from '../observability/logger.js';
import type { ServiceSource, ServiceStore } from '../store/service-store.js';

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

  constructor(deps: CentralServicesDeps) {
    this.#deps = deps;
  }

  /** Adds a service through the API; ConflictError when the name exists. */
  async add(service: CentralService): Promise<CentralService> {
    await this.#commit(() => {
      if (this.#deps.services.get(service.name)) {
        throw new ConflictError(`service "${service.name}" exists already`);
      }
      return this.#upsert(service, 'api');
    });
    return service;
  }

  /** Deletes a service; NotFoundError when unknown. */
  async remove(name: string): Promise<void> {
    await this.#commit(() => {
      if (!this.#deps.services.delete(name)) throw new NotFoundError(`service "${name}" not found`);
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

  #upsert(service: CentralService, source: ServiceSource): RouteEvent[] {
    this.#deps.services.upsert(service, source);
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
