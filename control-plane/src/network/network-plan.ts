import { ValidationError, type CentralService, type ServicePolicy } from '@tether/shared';
import type { NetworkFile } from './network-file.js';
import type { NetworkState, NetworkToken } from './network-state.js';

/** One change `apply` makes; `before` is what it replaces or removes. */
export type NetworkChange =
  | { type: 'service-create'; service: CentralService }
  | { type: 'service-update'; service: CentralService; before: CentralService }
  | { type: 'service-delete'; before: CentralService }
  | { type: 'policy-create'; service: string; policy: ServicePolicy }
  | { type: 'policy-update'; service: string; policy: ServicePolicy; before: ServicePolicy }
  | { type: 'policy-delete'; service: string; before: ServicePolicy }
  | { type: 'token-create'; token: NetworkToken }
  | { type: 'token-update'; token: NetworkToken; before: NetworkToken }
  | { type: 'token-delete'; before: NetworkToken };

/** JSON with object keys sorted: equal for equal values whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** What changing one section takes: the section's entries now and wanted (undefined: not managed), by name. */
function diffSection<T, C>(
  current: ReadonlyMap<string, T>,
  desired: ReadonlyMap<string, T> | undefined,
  prune: boolean,
  make: {
    create(name: string, value: T): C;
    update(name: string, value: T, before: T): C;
    remove(before: T, name: string): C;
  },
): C[] {
  if (!desired) return [];
  const changes: C[] = [];
  for (const [name, value] of desired) {
    const before = current.get(name);
    if (before === undefined) changes.push(make.create(name, value));
    else if (!same(before, value)) changes.push(make.update(name, value, before));
  }
  if (prune)
    for (const [name, before] of current) if (!desired.has(name)) changes.push(make.remove(before, name));
  return changes;
}

const byName = <T extends { name: string }>(items: readonly T[]): Map<string, T> =>
  new Map(items.map((i) => [i.name, i]));

/**
 * The changes that make `current` match `desired`: what the file names is created or updated; with `prune`, what a
 * managed section (present in the file) does not name is removed. Sections the file leaves out are untouched.
 * Refuses (ValidationError) a plan after which tokens remain but none of them is an admin.
 */
export function planNetwork(
  current: NetworkState,
  desired: NetworkFile,
  options: { prune: boolean },
): NetworkChange[] {
  const { prune } = options;
  const changes: NetworkChange[] = [
    ...diffSection<CentralService, NetworkChange>(
      byName(current.services),
      desired.services && byName(desired.services),
      prune,
      {
        create: (_name, service) => ({ type: 'service-create', service }),
        update: (_name, service, before) => ({ type: 'service-update', service, before }),
        remove: (before) => ({ type: 'service-delete', before }),
      },
    ),
    ...diffSection<ServicePolicy, NetworkChange>(
      new Map(Object.entries(current.policies)),
      desired.policies && new Map(Object.entries(desired.policies)),
      prune,
      {
        create: (service, policy) => ({ type: 'policy-create', service, policy }),
        update: (service, policy, before) => ({ type: 'policy-update', service, policy, before }),
        remove: (before, service) => ({ type: 'policy-delete', service, before }),
      },
    ),
    ...diffSection<NetworkToken, NetworkChange>(
      byName(current.tokens),
      desired.tokens && byName(desired.tokens),
      prune,
      {
        create: (_name, token) => ({ type: 'token-create', token }),
        update: (_name, token, before) => ({ type: 'token-update', token, before }),
        remove: (before) => ({ type: 'token-delete', before }),
      },
    ),
  ];
  const tokens = applyToState(current, changes).tokens;
  if (tokens.length > 0 && !tokens.some((t) => t.role === 'admin'))
    throw new ValidationError(
      'this apply would leave no admin token (tokens remain, none of them an admin): ' +
        'name one in the file\'s tokens, e.g. "- {name: bootstrap-admin, role: admin}", or drop --prune',
    );
  return changes;
}

const sortByName = <T extends { name: string }>(items: T[]): T[] =>
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** The state after `changes` (the model `apply` follows in SQLite; tests and the admin check use it). */
export function applyToState(state: NetworkState, changes: readonly NetworkChange[]): NetworkState {
  const services = byName(state.services);
  const policies = new Map(Object.entries(state.policies));
  const tokens = byName(state.tokens);
  for (const change of changes) {
    switch (change.type) {
      case 'service-create':
      case 'service-update':
        services.set(change.service.name, change.service);
        break;
      case 'service-delete':
        services.delete(change.before.name);
        break;
      case 'policy-create':
      case 'policy-update':
        policies.set(change.service, change.policy);
        break;
      case 'policy-delete':
        policies.delete(change.service);
        break;
      case 'token-create':
      case 'token-update':
        tokens.set(change.token.name, change.token);
        break;
      case 'token-delete':
        tokens.delete(change.before.name);
        break;
      default: {
        const unreachable: never = change;
        return unreachable;
      }
    }
  }
  return {
    services: sortByName([...services.values()]),
    policies: Object.fromEntries([...policies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    tokens: sortByName([...tokens.values()]),
  };
}
