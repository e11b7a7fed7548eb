import { CENTRAL, routesForEdge, takePage, type RouteTable } from '@tether/shared';
import type { AgentStore } from '../store/agent-store.js';
import type { ServiceStore } from '../store/service-store.js';
import { agentState } from './agent-state.js';
import type { Topology } from './api-schemas.js';

/** What the topology view reads. */
export interface TopologyDeps {
  table: RouteTable;
  agents: AgentStore;
  services: ServiceStore;
  /** The site stamped on central routes. */
  site: string;
}

/** One edge's shared services: a service with any active instance at the edge shows as active. */
function sharedBy(table: RouteTable, origin: string): Map<string, 'active' | 'stale'> {
  const byService = new Map<string, 'active' | 'stale'>();
  for (const route of table.list({ origin, originKind: 'edge' }))
    if (byService.get(route.service) !== 'active') byService.set(route.service, route.state);
  return byService;
}

/**
 * The hub and one page of its edges (in id order after `after`, at most `limit`, and the id to go on after, null
 * at the end): per edge, the services it shares (its own routes at the hub) and the central services it may see,
 * computed by the same `routesForEdge` that distribution uses, so the picture is what edges get. It reads only the
 * page's edges' routes, never the whole table.
 */
export function topology(
  deps: TopologyDeps,
  after: string | undefined,
  limit: number,
  only?: string,
): Omit<Topology, 'nextCursor'> & { next: string | null } {
  const services = deps.services.list().map(({ service }) => service);
  const central = deps.table.list({ originKind: 'central', origin: CENTRAL });
  const visibility = deps.services.visibility();
  const one = only === undefined ? undefined : deps.agents.get(only);
  const edges$ = only === undefined ? deps.agents.after(after) : one ? [[one.id, one] as const] : [];
  const page = takePage(edges$, () => true, limit);
  const edges = page.items.map((agent) => {
    const edge = { id: agent.id, site: agent.site ?? '', labels: agent.labels };
    const revoked = agent.revokedAt !== null;
    // A revoked edge is sent nothing (and shares nothing: its routes were withdrawn).
    const sees = revoked
      ? []
      : [...new Set(routesForEdge(central, edge, visibility).map((r) => r.service))].sort();
    const shares = [...sharedBy(deps.table, agent.id)]
      .map(([service, state]) => ({ service, state }))
      .sort((a, b) => (a.service < b.service ? -1 : 1));
    const staleRoutes = shares.filter((s) => s.state === 'stale').length;
    return {
      id: agent.id,
      status: agent.status,
      state: agentState({ status: agent.status, revokedAt: agent.revokedAt, staleRoutes }),
      revokedAt: agent.revokedAt === null ? null : new Date(agent.revokedAt).toISOString(),
      site: agent.site,
      strategy: agent.strategy,
      labels: agent.labels,
      shares,
      sees,
    };
  });
  return {
    hub: {
      site: deps.site,
      services: services.map((s) => ({
        name: s.name,
        url: s.url,
        ...(s.visibleTo ? { visibleTo: s.visibleTo } : {}),
      })),
    },
    edges,
    next: page.next,
  };
}
