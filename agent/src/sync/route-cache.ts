import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  formatZodError,
  RouteSchema,
  systemClock,
  type Clock,
  type Route,
  type RouteTable,
} from '@tether/shared';
import { DebouncedWriter } from './debounced-writer.js';
import type { AgentLogger } from '../observability/logger.js';

/** The file, inside the state dir, that keeps the central routes across restarts. */
export const ROUTES_CACHE_FILE = 'routes-cache.json';

const RouteCacheFileSchema = z.strictObject({
  v: z.literal(1),
  savedAt: z.number(),
  routes: z.array(RouteSchema),
});

/** Options of a RouteCache. */
export interface RouteCacheOptions {
  stateDir: string;
  table: RouteTable;
  logger: AgentLogger;
  clock?: Clock;
  debounceMs?: number;
}

/**
 * Keeps the central routes in `<stateDir>/routes-cache.json` (atomic, debounced writes) and loads them at start as
 * `stale`, so an agent restarted while the hub is unreachable still knows them until the hub's first full update.
 */
export class RouteCache {
  readonly #opts: RouteCacheOptions;
  readonly #clock: Clock;
  readonly #writer: DebouncedWriter;

  constructor(options: RouteCacheOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#writer = new DebouncedWriter({
      file: this.file,
      render: () => this.#render(),
      clock: this.#clock,
      delayMs: options.debounceMs ?? 200,
      onError: (err) => options.logger.warn({ err: err.message }, 'cannot write the route cache'),
    });
  }

  /** The cache file's path. */
  get file(): string {
    return path.join(this.#opts.stateDir, ROUTES_CACHE_FILE);
  }

  /** Loads cached central routes into the table as stale; returns how many. A bad cache is logged and ignored. */
  async load(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#opts.logger.warn({ err: (err as Error).message }, 'cannot read the route cache');
      }
      return 0;
    }
    let parsed: z.ZodSafeParseResult<z.infer<typeof RouteCacheFileSchema>>;
    try {
      parsed = RouteCacheFileSchema.safeParse(JSON.parse(text));
    } catch (err) {
      this.#opts.logger.warn({ err: (err as Error).message }, 'route cache is not JSON; ignored');
      return 0;
    }
    if (!parsed.success) {
      this.#opts.logger.warn({ err: formatZodError(parsed.error) }, 'route cache is invalid; ignored');
      return 0;
    }
    const now = this.#clock.now();
    const routes: Route[] = parsed.data.routes
      .filter((r) => r.originKind === 'central')
      .map((r) => ({ ...r, state: 'stale', staleSince: r.staleSince ?? now }));
    this.#opts.table.apply(routes);
    return routes.length;
  }

  /** The central routes changed: write them soon. */
  schedule(): void {
    this.#writer.schedule();
  }

  /** Writes any pending change now. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  #render(): string {
    const routes = this.#opts.table.list({ originKind: 'central' });
    return JSON.stringify({ v: 1, savedAt: this.#clock.now(), routes }, null, 1);
  }
}
