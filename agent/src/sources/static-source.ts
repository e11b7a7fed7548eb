import { ConflictError } from '@tether/shared';
import type { ServiceSpec } from '../services/service-input.js';
import { serviceKey } from '../services/service-spec.js';
import type { ServiceStore } from '../services/service-store.js';
import type { RouteSource, SourceWatchHandlers } from './route-source.js';
import type { SourceTiming } from './source-url.js';

/** The name of the static source in logs and the API. */
export const STATIC_SOURCE = 'static';
/** The static source is never resynced (nothing changes it but the API) and never unreachable. */
export const STATIC_TIMING: SourceTiming = { resyncMs: 0, graceMs: 0 };

/**
 * The services named on the command line and in the config file (`static`) and those posted to the local API
 * (`api`, persisted in the state dir so they come back after a restart), as one more RouteSource: the same
 * path from "a site has a service" to "the agent advertises it" as every registry. Never unreachable.
 */
export class StaticSource implements RouteSource {
  readonly kind = 'static' as const;
  readonly name = STATIC_SOURCE;
  readonly #store: ServiceStore | undefined;
  readonly #specs = new Map<string, ServiceSpec>();
  #handlers: SourceWatchHandlers | undefined;

  /** `specs`: flags and config (static) first, then the API services the store loaded. */
  constructor(specs: readonly ServiceSpec[], store?: ServiceStore) {
    this.#store = store;
    for (const spec of specs) if (!this.#specs.has(serviceKey(spec))) this.#specs.set(serviceKey(spec), spec);
  }

  list(): Promise<ServiceSpec[]> {
    return Promise.resolve([...this.#specs.values()]);
  }

  watch(handlers: SourceWatchHandlers): Promise<void> {
    this.#handlers = handlers;
    return Promise.resolve();
  }

  unwatch(): Promise<void> {
    this.#handlers = undefined;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.unwatch();
  }

  /** Adds an API service (persisted); a ConflictError when this source has that name and URL already. */
  async add(spec: ServiceSpec): Promise<void> {
    if (this.#specs.has(serviceKey(spec)))
      throw new ConflictError(`service "${spec.name}" at ${spec.url} exists already`);
    this.#specs.set(serviceKey(spec), spec);
    this.#handlers?.change({ type: 'delta', upserts: [spec], removes: [] });
    if (spec.source === 'api') await this.#save();
  }

  /** Removes these instances (static ones until the next start; API ones for good). */
  async remove(specs: readonly ServiceSpec[]): Promise<void> {
    const removed = specs.filter((s) => this.#specs.delete(serviceKey(s)));
    if (removed.length === 0) return;
    this.#handlers?.change({ type: 'delta', upserts: [], removes: removed });
    if (removed.some((s) => s.source === 'api')) await this.#save();
  }

  #save(): Promise<void> {
    return (
      this.#store?.save([...this.#specs.values()].filter((s) => s.source === 'api')) ?? Promise.resolve()
    );
  }
}
