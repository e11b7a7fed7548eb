import { CENTRAL, routesForEdge, type RouteTable } from '@tether/shared';
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

/**
 * The hub and its edges: per edge, the services it shares (its own routes at the hub) and the central services
 * it may see, computed by the same `routesForEdge` that distribution uses, so the picture is what edges get.
 */
export function topology(deps: TopologyDeps): Topology {
  const services = deps.services.list().map(({ service }) => service);
  const central = deps.table.list({ originKind: 'central', origin: CENTRAL });
  const visibility = deps.services.visibility();
  const shared = new Map<string, Map<string, 'active' | 'stale'>>();
  for (const route of deps.table.list({ originKind: 'edge' })) {
    let byService = shared.get(route.origin);
    if (!byService) shared.set(route.origin, (byService = new Map<string, 'active' | 'stale'>()));
    // A service with any active instance at this edge shows as active.
    if (byService.get(route.service) !== 'active') byService.set(route.service, route.state);
  }
  const edges = deps.agents.list().map((agent) => {
    const edge = { id: agent.id, site: agent.site ?? '', labels: agent.labels };
    const revoked = agent.revokedAt !== null;
    // A revoked edge is sent nothing (and shares nothing: its routes were withdrawn).
    const sees = revoked
      ? []
      : [...new Set(routesForEdge(central, edge, visibility).map((r) => r.service))].sort();
    const shares = [...(shared.get(agent.id) ?? new Map<string, 'active' | 'stale'>())]
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
  };
}
