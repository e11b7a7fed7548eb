import type { OutboxStats, Route, RouteTable } from '@tether/shared';
import { keyed } from '../observability/event-bus.js';
import type { AgentRecord } from '../store/agent-store.js';
import type { ServiceStore } from '../store/service-store.js';
import type { AgentView, ConflictView, ServiceView } from './api-schemas.js';

export type { AgentView, ConflictView, ServiceView };

/** Where the service views get a service's conflicts (the ServiceConflicts tracker). */
export interface ConflictSource {
  /** The agents whose routes of `service` (all of them given) are kept out as conflicts, with since when. */
  conflictsOf(service: string, routes: readonly Route[]): ConflictView[];
}

/** Where agent views get each agent's latest outbox figures (the AgentTelemetry of digests). */
export interface TelemetrySource {
  get(agentId: string): { outbox: OutboxStats; at: number } | undefined;
}

/** What the services view reads. */
export interface ServiceViewsDeps {
  table: RouteTable;
  services: ServiceStore;
  conflicts: ConflictSource;
}

/** Builds an agent's view (never its secret hash), with the outbox figures of its last digest. */
export function agentView(agent: AgentRecord, table: RouteTable, telemetry: TelemetrySource): AgentView {
  const figures = telemetry.get(agent.id);
  return {
    id: agent.id,
    status: agent.status,
    strategy: agent.strategy,
    fixedStrategy: agent.fixedStrategy,
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
    outbox: figures ? { ...figures.outbox, at: new Date(figures.at).toISOString() } : null,
  };
}

/** Groups every route and central service by service name, with each service's conflicts. */
export function serviceViews({ table, services, conflicts }: ServiceViewsDeps): ServiceView[] {
  const views = new Map<string, ServiceView>();
  const row = (name: string): ServiceView => {
    let view = views.get(name);
    if (!view) {
      view = { name, central: null, instances: [], conflicts: [] };
      views.set(name, view);
    }
    return view;
  };
  for (const { service } of services.list()) row(service.name).central = service;
  for (const route of table.list()) row(route.service).instances.push(keyed(route));
  for (const view of views.values()) view.conflicts = conflicts.conflictsOf(view.name, view.instances);
  return [...views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
