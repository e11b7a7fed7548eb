import type { CentralService, RouteTable } from '@tether/shared';
import { keyed, type KeyedRoute } from '../event-bus.js';
import type { AgentRecord } from '../store/agent-store.js';
import type { ServiceStore } from '../store/service-store.js';

/** An agent as the API serves it. */
export interface AgentView {
  id: string;
  status: 'online' | 'offline';
  strategy: string | null;
  site: string | null;
  labels: Record<string, string>;
  version: string | null;
  lastSeen: string | null;
  routeCount: number;
  staleRoutes: number;
  /** When the agent was revoked (ISO), or null. */
  revokedAt: string | null;
  /** Credential rotation: whether a new secret awaits the agent's confirmation, and when it last confirmed one. */
  credential: { rotationPending: boolean; rotatedAt: string | null };
}

/** One row of `GET /api/v1/services`: a service name across central and edge routes. */
export interface ServiceView {
  name: string;
  central: CentralService | null;
  instances: KeyedRoute[];
}

/** Builds an agent's view (never its secret hash). */
export function agentView(agent: AgentRecord, table: RouteTable): AgentView {
  return {
    id: agent.id,
    status: agent.status,
    strategy: agent.strategy,
    site: agent.site,
    labels: agent.labels,
    version: agent.version,
    lastSeen: agent.lastSeen === null ? null : new Date(agent.lastSeen).toISOString(),
    routeCount: table.count({ origin: agent.id }),
    staleRoutes: table.count({ origin: agent.id, state: 'stale' }),
    revokedAt: agent.revokedAt === null ? null : new Date(agent.revokedAt).toISOString(),
    credential: {
      rotationPending: agent.rotationId !== null,
      rotatedAt: agent.secretRotatedAt === null ? null : new Date(agent.secretRotatedAt).toISOString(),
    },
  };
}

/** Groups every route and central service by service name. */
export function serviceViews(table: RouteTable, services: ServiceStore): ServiceView[] {
  const views = new Map<string, ServiceView>();
  const row = (name: string): ServiceView => {
    let view = views.get(name);
    if (!view) {
      view = { name, central: null, instances: [] };
      views.set(name, view);
    }
    return view;
  };
  for (const { service } of services.list()) row(service.name).central = service;
  for (const route of table.list()) row(route.service).instances.push(keyed(route));
  return [...views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
