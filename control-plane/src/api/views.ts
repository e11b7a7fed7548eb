import type { KeysetPage, OutboxStats, Route, RouteTable } from '@tether/shared';
import type { AgentRecord } from '../store/agent-store.js';
import type { ServiceStore } from '../store/service-store.js';
import type { ServiceTallies } from '../store/service-tallies.js';
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

/** What the services listing reads. */
export interface ServiceViewsDeps {
  /** Each service with routes, in name order, with its routes counted. */
  tallies: Pick<ServiceTallies, 'after'>;
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

/**
 * One page of services in name order after `after`: every name with routes or a central definition, its routes
 * counted (never listed: a service of 20,000 instances costs one row), and the page's last name when more follow.
 */
export function servicePage(
  { tallies, table, services, conflicts }: ServiceViewsDeps,
  after: string | undefined,
  limit: number,
): KeysetPage<ServiceView> {
  const central = new Map(services.list().map(({ service }) => [service.name, service]));
  const counted = new Map(tallies.after(after, limit + 1));
  const names = new Set(counted.keys());
  for (const name of central.keys()) if (after === undefined || name > after) names.add(name);
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const items = sorted.slice(0, limit).map((name): ServiceView => {
    const tally = counted.get(name);
    const definition = central.get(name) ?? null;
    return {
      name,
      central: definition,
      instances: { active: tally?.active ?? 0, stale: tally?.stale ?? 0 },
      sites: tally ? [...tally.sites.keys()].sort() : [],
      conflicts: definition ? conflicts.conflictsOf(name, table.list({ service: name })) : [],
    };
  });
  return { items, next: sorted.length > limit ? (items.at(-1)?.name ?? null) : null };
}
