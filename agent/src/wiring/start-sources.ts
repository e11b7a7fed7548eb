import { openSource } from '../registries/open-source.js';
import { HealthChecker } from '../services/health-checker.js';
import { ServiceRegistry } from '../services/service-registry.js';
import { resolveServiceSpec } from '../services/service-spec.js';
import { SourceRunner } from '../sources/source-runner.js';
import { STATIC_TIMING, StaticSource } from '../sources/static-source.js';
import type { RouteSync } from '../sync/route-sync.js';
import type { UndoStack } from '../undo-stack.js';
import type { LocalState } from './open-local-state.js';
import type { StartContext } from './start-context.js';

/** The local services: the registry of instances and the sources that fill it, the static one first. */
export interface LocalServices {
  registry: ServiceRegistry;
  staticSource: StaticSource;
  runners: SourceRunner[];
}

/**
 * Starts the service registry and one runner per source, each pushing its undo: the static services (flags,
 * config, API) are listed before this returns, the registries in the background.
 */
export async function startSources(
  ctx: StartContext,
  { table, store, stored }: LocalState,
  sync: RouteSync,
  undo: UndoStack,
): Promise<LocalServices> {
  const { options, identity, clock, logger } = ctx;
  const registry = new ServiceRegistry({
    id: options.id,
    site: identity.site,
    table,
    healthChecker: new HealthChecker({ logger, clock }),
    onRoutesChanged: () => sync.localChanged(),
  });
  undo.defer('service registry', () => registry.close());
  // One path for every service: static ones (flags, config, API) and each registry are sources, run alike.
  const staticSource = new StaticSource(
    [...(options.services ?? []).map(resolveServiceSpec), ...stored],
    store,
  );
  const runners = [
    new SourceRunner({ source: staticSource, sink: registry, timing: STATIC_TIMING, clock, logger }),
  ];
  undo.defer('static services', () => runners[0]!.close());
  for (const config of options.sources ?? []) {
    const runner = new SourceRunner({
      source: await openSource(config, logger, clock),
      sink: registry,
      timing: config,
      clock,
      logger,
    });
    runners.push(runner);
    undo.defer(`source ${runner.status.name}`, () => runner.close());
  }
  for (const runner of runners) registry.register(runner.status.name);
  await runners[0]!.start();
  // Registries are listed in the background: one that does not answer must not hold up the agent.
  for (const runner of runners.slice(1)) void runner.start();
  return { registry, staticSource, runners };
}
