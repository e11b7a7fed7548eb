import { routeKey, type Route, type RouteKey, type RouteTable } from '@tether/shared';
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
  /** Where it was found: static (flags, config), api, file, etcd or mdns. */
  source: ServiceSpec['source'];
  /** The source's name (its URL, or `static`). */
  from: string;
  /** `stale` once its registry has been unreachable past the grace (then it is no longer advertised). */
  state: 'active' | 'stale';
  staleSince?: number;
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
  /** The source that owns it: the first registered source that has this instance. */
  owner: string;
  healthy: boolean;
}

/**
 * The agent's local services, from every source (static flags and config, the local API, files, registries),
 * and their health. Each source owns a set of instances (by name and URL); when two sources list the same
 * instance, the one registered first owns it. It owns the agent's own routes in the table: one `local` route per
 * healthy instance, active, or stale while its source is stale. Changes are applied to the table per instance,
 * so a registry of 10,000 services costs nothing per change beyond the instances that changed.
 */
export class ServiceRegistry {
  readonly #opts: ServiceRegistryOptions;
  /** Each source's instances by key, in registration (precedence) order. */
  readonly #sources = new Map<string, Map<string, ServiceSpec>>();
  /** Since when each stale source is stale. */
  readonly #staleSince = new Map<string, number>();
  readonly #entries = new Map<string, Entry>();

  constructor(options: ServiceRegistryOptions) {
    this.#opts = options;
  }

  /** Registers a source by name (registration order is precedence); its set starts empty. */
  register(source: string): void {
    if (!this.#sources.has(source)) this.#sources.set(source, new Map());
  }

  /** Every instance, ordered by name then URL. */
  list(): ServiceView[] {
    return [...this.#entries.values()]
      .map(({ spec, owner, healthy }) => {
        const staleSince = this.#staleSince.get(owner);
        return {
          name: spec.name,
          url: spec.url,
          metric: spec.metric,
          labels: spec.labels,
          healthy,
          source: spec.source,
          from: owner,
          state: staleSince === undefined ? ('active' as const) : ('stale' as const),
          ...(staleSince === undefined ? {} : { staleSince }),
        };
      })
      .sort((a, b) => (a.name === b.name ? a.url.localeCompare(b.url) : a.name.localeCompare(b.name)));
  }

  /** The instance of this name and URL, if any source has it. */
  get(name: string, url: string): ServiceView | undefined {
    const entry = this.#entries.get(serviceKey({ name, url }));
    return entry ? this.list().find((s) => s.name === name && s.url === url) : undefined;
  }

  /** The instances (effective ones) matching `name` and, if given, `url`. */
  find(name: string, url?: string): Array<{ spec: ServiceSpec; owner: string }> {
    return [...this.#entries.values()]
      .filter((e) => e.spec.name === name && (url === undefined || e.spec.url === url))
      .map(({ spec, owner }) => ({ spec, owner }));
  }

  /** Replaces the whole set of `source` (a list or a resync: what is not in `specs` is pruned). */
  replace(source: string, specs: readonly ServiceSpec[]): void {
    const set = this.#set(source);
    const next = new Map(specs.map((s) => [serviceKey(s), s]));
    const touched = new Set<string>();
    for (const key of set.keys()) if (!next.has(key)) touched.add(key);
    for (const [key, spec] of next) if (set.get(key) !== spec) touched.add(key);
    set.clear();
    for (const [key, spec] of next) set.set(key, spec);
    this.#update(touched);
  }

  /** Applies a watch's changes to `source`'s set. */
  apply(source: string, upserts: readonly ServiceSpec[], removes: readonly ServiceSpec[]): void {
    const set = this.#set(source);
    const touched = new Set<string>();
    for (const spec of removes) {
      const key = serviceKey(spec);
      if (set.delete(key)) touched.add(key);
    }
    for (const spec of upserts) {
      const key = serviceKey(spec);
      set.set(key, spec);
      touched.add(key);
    }
    this.#update(touched);
  }

  /** Marks `source`'s instances stale since `at` (its registry unreachable past the grace), or active (null). */
  setStale(source: string, at: number | null): void {
    if ((at === null) === !this.#staleSince.has(source)) return;
    if (at === null) this.#staleSince.delete(source);
    else this.#staleSince.set(source, at);
    const touched = new Set<string>();
    for (const [key, entry] of this.#entries) if (entry.owner === source) touched.add(key);
    this.#update(touched, true);
  }

  /** Stops all health checks. */
  close(): void {
    this.#opts.healthChecker?.stopAll();
  }

  #set(source: string): Map<string, ServiceSpec> {
    this.register(source);
    return this.#sources.get(source)!;
  }

  /** Recomputes the owner of each touched instance and writes the routes that changed. */
  #update(touched: ReadonlySet<string>, force = false): void {
    const upserts: Route[] = [];
    const removes: RouteKey[] = [];
    for (const key of touched) {
      const before = this.#entries.get(key);
      const after = this.#owner(key);
      if (!after) {
        if (!before) continue;
        this.#opts.healthChecker?.unwatch(key);
        this.#entries.delete(key);
        removes.push(routeKey(this.#route(before)));
        continue;
      }
      const entry: Entry = { ...after, healthy: before?.healthy ?? true };
      if (!force && before && before.spec === entry.spec && before.owner === entry.owner) continue;
      this.#entries.set(key, entry);
      this.#watchHealth(key, before?.spec, entry.spec);
      if (entry.healthy) upserts.push(this.#route(entry));
    }
    if (upserts.length === 0 && removes.length === 0) return;
    const events = this.#opts.table.apply(upserts, removes);
    if (events.length > 0) this.#opts.onRoutesChanged();
  }

  #owner(key: string): { spec: ServiceSpec; owner: string } | undefined {
    for (const [owner, set] of this.#sources) {
      const spec = set.get(key);
      if (spec) return { spec, owner };
    }
    return undefined;
  }

  #watchHealth(key: string, before: ServiceSpec | undefined, after: ServiceSpec): void {
    const checker = this.#opts.healthChecker;
    if (!checker) return;
    const same = JSON.stringify(before?.healthCheck) === JSON.stringify(after.healthCheck);
    if (same && before?.url === after.url) return;
    if (!after.healthCheck) return checker.unwatch(key);
    checker.watch(key, after.url, after.healthCheck, (healthy) => this.#setHealthy(key, healthy));
  }

  #setHealthy(key: string, healthy: boolean): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.healthy === healthy) return;
    entry.healthy = healthy;
    const route = this.#route(entry);
    const events = healthy ? this.#opts.table.apply([route]) : this.#opts.table.apply([], [routeKey(route)]);
    if (events.length > 0) this.#opts.onRoutesChanged();
  }

  #route({ spec, owner }: Entry): Route {
    const staleSince = this.#staleSince.get(owner);
    return {
      service: spec.name,
      address: spec.url,
      origin: this.#opts.id,
      originKind: 'local',
      site: this.#opts.site,
      labels: spec.labels,
      metric: spec.metric,
      state: staleSince === undefined ? 'active' : 'stale',
      version: 0,
      ...(staleSince === undefined ? {} : { staleSince }),
      source: spec.source,
    };
  }
}
