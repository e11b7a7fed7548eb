import {
  CENTRAL,
  conflictingAgents,
  DEFAULT_POLICY,
  isCentralRoute,
  isCentrallyDefined,
  reconcileConflicts,
  type Clock,
  type Route,
  type RouteTable,
  type ServicePolicy,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../observability/event-bus.js';
import type { ConflictView } from '../api/api-schemas.js';
import type { Logger } from '../observability/logger.js';
import type { ConflictStore } from './conflict-store.js';

/** What the conflict tracker reads and writes. */
export interface ServiceConflictsDeps {
  table: Pick<RouteTable, 'list'>;
  store: ConflictStore;
  /** The service's stored policy, if any (DEFAULT_POLICY otherwise). */
  policyOf(service: string): ServicePolicy | undefined;
  audit: AuditLog;
  /** Counts each conflict when it is first recorded. */
  counted: { inc(n: number): void };
  logger: Logger;
  clock: Pick<Clock, 'now'>;
}

/**
 * Service names have owners (issue 12): keeps `service_conflicts` in step with the routes and policies, using the
 * pure `reconcileConflicts`. A conflict is recorded, counted and audited once, when an edge first advertises a
 * centrally defined service its policy does not admit (never again on re-adverts or reconnects), and forgotten
 * (audited) when its reason goes: the central definition removed or `allowEdgeInstances` admitting the agent.
 * Selection keeps conflicts out by itself (`selectRoute`); this is the record, the count and the view.
 */
export class ServiceConflicts {
  readonly #d: ServiceConflictsDeps;
  /** Centrally defined services (their edge routes may conflict), as of the last reconcile of each. */
  readonly #owned = new Set<string>();
  /** Per service, how many agents conflict now (the gauge). */
  readonly #current = new Map<string, number>();

  constructor(deps: ServiceConflictsDeps) {
    this.#d = deps;
  }

  /** Reconciles every centrally defined service and every recorded one (at start: state changed while down). */
  reconcileAll(): void {
    const central = this.#d.table.list({ originKind: 'central', origin: CENTRAL }).map((r) => r.service);
    for (const service of new Set([...central, ...this.#d.store.services()])) this.reconcile(service);
  }

  /** Follows the bus: any central route event, an edge route event of an owned service, any policy change. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((e) => {
      if (e.type === 'policy-updated') return this.reconcile(e.service);
      if (e.type !== 'route-created' && e.type !== 'route-updated' && e.type !== 'route-deleted') return;
      if (isCentralRoute(e.route) || this.#owned.has(e.route.service)) this.reconcile(e.route.service);
    });
  }

  /** Brings one service's conflict records in line with its routes and policy now. */
  reconcile(service: string): void {
    const routes = this.#d.table.list({ service });
    const policy = this.#policy(service);
    if (isCentrallyDefined(routes)) this.#owned.add(service);
    else this.#owned.delete(service);
    const current = conflictingAgents(routes, policy).length;
    if (current > 0) this.#current.set(service, current);
    else this.#current.delete(service);
    const recorded = this.#d.store.ofService(service).map((r) => r.agent);
    const { open, close } = reconcileConflicts(recorded, routes, policy);
    if (open.length === 0 && close.length === 0) return;
    const now = this.#d.clock.now();
    this.#d.audit.atomically(() => {
      for (const agent of open) {
        this.#d.store.insert(service, agent, now);
        this.#d.audit.record({ kind: 'service-conflict', agentId: agent, actor: 'hub', detail: { service } });
      }
      for (const agent of close) {
        this.#d.store.delete(service, agent);
        this.#d.audit.record({
          kind: 'service-conflict-resolved',
          agentId: agent,
          actor: 'hub',
          detail: { service, reason: this.#owned.has(service) ? 'allowed' : 'no central definition' },
        });
      }
    });
    this.#d.counted.inc(open.length);
    for (const agent of open)
      this.#d.logger.warn(
        { service, agentId: agent },
        'an edge advertises a centrally defined service: its instance takes no calls unless the policy lists it in allowEdgeInstances',
      );
  }

  /** The agents whose routes of `service` (given: all its routes) conflict now, with when each was first seen. */
  conflictsOf(service: string, routes: readonly Route[]): ConflictView[] {
    if (!isCentrallyDefined(routes)) return [];
    const agents = conflictingAgents(routes, this.#policy(service));
    if (agents.length === 0) return [];
    const since = new Map(this.#d.store.ofService(service).map((r) => [r.agent, r.since]));
    const now = this.#d.clock.now();
    return agents.map((agent) => ({ agent, since: new Date(since.get(agent) ?? now).toISOString() }));
  }

  /** How many (service, agent) conflicts there are now. */
  count(): number {
    let n = 0;
    for (const c of this.#current.values()) n += c;
    return n;
  }

  #policy(service: string): ServicePolicy {
    return this.#d.policyOf(service) ?? DEFAULT_POLICY;
  }
}
