import { HealthTracker, type CentralService, type ServicePolicy } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { RoutePicker } from '../calls/route-picker.js';
import type { Metrics } from '../observability/metrics.js';
import { PolicyRoutePicker } from '../policy/policy-route-picker.js';
import { PolicyChanges } from '../policy/policy-changes.js';
import { PolicyStore } from '../policy/policy-store.js';
import { CentralServices, type CentralServicesDeps } from './central-services.js';
import { ConflictStore } from './conflict-store.js';
import { ServiceConflicts } from './service-conflicts.js';

/** What the service side of the hub needs: what central services need, and the config file's settings. */
export interface ServicesDeps extends CentralServicesDeps {
  /** Central services from the config file. */
  config: CentralService[];
  /** Route selection policies from the config file, by service name. */
  policies: Record<string, ServicePolicy>;
  /** Where service name conflicts are audited. */
  audit: AuditLog;
  metrics: Metrics;
}

/** The service side of the hub: central services, selection policies, passive health and the picker over them. */
export interface Services {
  centralServices: CentralServices;
  policies: PolicyStore;
  health: HealthTracker;
  picker: RoutePicker;
  /** Service name conflicts: recorded, counted, audited once, shown in the service views. */
  conflicts: ServiceConflicts;
  /** Announces policies another process changed (call it when one committed). */
  policyChanges: PolicyChanges;
}

/**
 * Syncs the config file's central services and policies into the database (and makes the routes of services
 * written by another process), tracks the passive health of each
 * instance (dropped with its route) and makes the policy route picker that chooses the instance of each call;
 * reconciles service name conflicts now (the config may have changed) and on every route or policy change.
 */
export async function startServices(deps: ServicesDeps): Promise<Services> {
  const { config, policies: configPolicies, audit, metrics, ...central } = deps;
  const { db, table, bus, clock, logger } = central;
  const centralServices = new CentralServices(central);
  await centralServices.syncConfig(config);
  // Services `tether-cp apply` wrote while the server was down get their routes now.
  await centralServices.reconcileStored();
  const policies = new PolicyStore(db);
  policies.syncConfig(configPolicies, clock.now());
  const policyChanges = new PolicyChanges(policies, bus);
  const health = new HealthTracker();
  // Health of an instance whose route is gone (stale grace over, withdrawn) is dropped with it.
  bus.subscribe((e) => {
    if (e.type === 'route-deleted') health.forget(e.route.key);
  });
  const picker: RoutePicker = new PolicyRoutePicker({
    table,
    policyOf: (service) => policies.get(service)?.policy,
    health,
    clock,
  });
  const conflicts = new ServiceConflicts({
    table,
    store: new ConflictStore(db),
    policyOf: (service) => policies.get(service)?.policy,
    audit,
    counted: metrics.serviceConflicts,
    logger,
    clock,
  });
  conflicts.reconcileAll();
  conflicts.attach(bus);
  return { centralServices, policies, health, picker, conflicts, policyChanges };
}
