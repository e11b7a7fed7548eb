import { ConflictError, NotFoundError, type Route, type RouteTable } from '@tether/shared';
import type { ServiceSpec } from './service-input.js';
import type { HealthChecker } from './health-checker.js';
import { serviceKey } from './service-spec.js';

/** A local service as the API shows it. */
export interface ServiceView {
  name: string;
  url: string;
  metric: number;
  labels: Record<string, string>;
  healthy: boolean;
  source: ServiceSpec['source'];
}

/** Options of a ServiceRegistry. */
export interface ServiceRegistryOptions {
  /** This agent's id: the origin of its own routes. */
  id: string;
  site: string;
  table: RouteTable;
  healthChecker?: HealthChecker;
  /** Called after the agent's own routes in the table changed. */
  onRoutesChanged: () => void;
}

interface Entry {
  spec: ServiceSpec;
  healthy: boolean;
}

/**
 * The agent's local services (from flags, config and the API) and their health. It owns the agent's own routes
 * in the table: one active `local` route per healthy instance, replaced as a whole on every change.
 */
export class ServiceRegistry {
  readonly #opts: ServiceRegistryOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: ServiceRegistryOptions) {
    this.#opts = options;
  }

  /** Every instance, ordered by name then URL. */
  list(): ServiceView[] {
    return [...this.#entries.values()]
      .map(({ spec, healthy }) => ({
        name: spec.name,
        url: spec.url,
        metric: spec.metric,
        labels: spec.labels,
        healthy,
        source: spec.source,
      }))
      .sort((a, b) => (a.name === b.name ? a.url.localeCompare(b.url) : a.name.localeCompare(b.name)));
  }

  /** The specs of one source (used to persist API services). */
  specs(source?: ServiceSpec['source']): ServiceSpec[] {
    return [...this.#entries.values()]
      .map((e) => e.spec)
      .filter((s) => source === undefined || s.source === source);
  }

  /** Adds instances; a ConflictError when the same name and URL exists (nothing is added then). */
  add(...specs: ServiceSpec[]): void {
    for (const spec of specs) {
      if (this.#entries.has(serviceKey(spec)))
        throw new ConflictError(`service "${spec.name}" at ${spec.url} exists already`);
    }
    for (const spec of specs) {
      const key = serviceKey(spec);
      this.#entries.set(key, { spec, healthy: true });
      if (spec.healthCheck) {
        this.#opts.healthChecker?.watch(key, spec.url, spec.healthCheck, (healthy) =>
          this.#setHealthy(key, healthy),
        );
      }
    }
    this.#sync();
  }

  /** Removes every instance of `name` (or only the one at `url`); a NotFoundError when none matched. */
  remove(name: string, url?: string): ServiceSpec[] {
    const removed: ServiceSpec[] = [];
    for (const [key, { spec }] of this.#entries) {
      if (spec.name !== name || (url !== undefined && spec.url !== url)) continue;
      this.#opts.healthChecker?.unwatch(key);
      this.#entries.delete(key);
      removed.push(spec);
    }
    if (removed.length === 0) throw new NotFoundError(`no local service "${name}"${url ? ` at ${url}` : ''}`);
    this.#sync();
    return removed;
  }

  /** Stops all health checks. */
  close(): void {
    this.#opts.healthChecker?.stopAll();
  }

  #setHealthy(key: string, healthy: boolean): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.healthy === healthy) return;
    entry.healthy = healthy;
    this.#sync();
  }

  #sync(): void {
    const routes = [...this.#entries.values()].filter((e) => e.healthy).map((e) => this.#route(e.spec));
    const events = this.#opts.table.replaceOrigin(this.#opts.id, routes);
    if (events.length > 0) this.#opts.onRoutesChanged();
  }

  #route(spec: ServiceSpec): Route {
    return {
      service: spec.name,
      address: spec.url,
      origin: this.#opts.id,
      originKind: 'local',
      site: this.#opts.site,
      labels: spec.labels,
      metric: spec.metric,
      state: 'active',
      version: 0,
    };
  }
}
