import { MemoryRouteTable } from '@tether/shared';
import { OUTBOX_DEFAULTS } from '../config/agent-options.js';
import { openAgentOutbox } from '../reports/agent-outbox.js';
import type { ReportOutbox } from '../reports/lazy-outbox.js';
import type { ServiceSpec } from '../services/service-input.js';
import { ServiceStore } from '../services/service-store.js';
import { RouteCache } from '../sync/route-cache.js';
import type { UndoStack } from '../undo-stack.js';
import type { StartContext } from './start-context.js';

/** What the agent keeps in its state dir, loaded: cached central routes, stored services, the report outbox. */
export interface LocalState {
  table: MemoryRouteTable;
  cache: RouteCache;
  store: ServiceStore;
  /** The services the store held at start. */
  stored: ServiceSpec[];
  outbox: ReportOutbox;
}

/** Loads the state dir's route cache and services and opens the report outbox, each pushing its undo. */
export async function openLocalState(ctx: StartContext, undo: UndoStack): Promise<LocalState> {
  const { options, stateDir, clock, logger } = ctx;
  const table = new MemoryRouteTable();
  const cache = new RouteCache({
    stateDir,
    table,
    logger,
    clock,
    ...(options.cacheDebounceMs !== undefined ? { debounceMs: options.cacheDebounceMs } : {}),
  });
  undo.defer('route cache', () => cache.flush());
  const cached = await cache.load();
  if (cached > 0)
    logger.info({ routes: cached }, 'loaded cached central routes (stale until the hub confirms them)');
  const store = new ServiceStore(stateDir, logger);
  const stored = await store.load();
  // The addon is loaded from the agent's own content-addressed copy, never from a file an upgrade may overwrite.
  const outbox = await openAgentOutbox({
    stateDir,
    limits: { ...OUTBOX_DEFAULTS, ...options.outbox },
    clock,
  });
  undo.defer('outbox', () => outbox.close());
  return { table, cache, store, stored, outbox };
}
