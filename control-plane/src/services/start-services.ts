import { HealthTracker, type CentralService, type ServicePolicy } from '@tether/shared';
import type { RoutePicker } from '../calls/route-picker.js';
import { PolicyRoutePicker } from '../policy/policy-route-picker.js';
import { PolicyStore } from '../policy/policy-store.js';
import { CentralServices, type CentralServicesDeps } from './central-services.js';

/** What the service side of the hub needs: what central services need, and the config file's settings. */
export interface ServicesDeps extends CentralServicesDeps {
  /** Central services from the config file. */
  config: CentralService[];
  /** Route selection policies from the config file, by service name. */
  policies: Record<string, ServicePolicy>;
}

/** The service side of the hub: central services, selection policies, passive health and the picker over them. */
export interface Services {
  centralServices: CentralServices;
  policies: PolicyStore;
  health: HealthTracker;
  picker: RoutePicker;
}

/**
 * Syncs the config file's central services and policies into the database, tracks the passive health of each
 * instance (dropped with its route) and makes the policy route picker that chooses the instance of each call.
 */
export async function startServices(deps: ServicesDeps): Promise<Services> {
  const { config, policies: configPolicies, ...central } = deps;
  const { db, table, bus, clock } = central;
  const centralServices = new CentralServices(central);
  await centralServices.syncConfig(config);
  const policies = new PolicyStore(db);
  policies.syncConfig(configPolicies, clock.now());
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
  return { centralServices, policies, health, picker };
}
