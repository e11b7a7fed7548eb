import type { CentralService, ServicePolicy } from '@tether/shared';
import { policyAsWritten, serviceAsWritten } from './network-file.js';
import { canonicalJson, type NetworkChange } from './network-plan.js';

const show = (value: unknown): string => (value === undefined ? '(none)' : canonicalJson(value));

/** `key: old -> new` for each top-level field that differs. */
function fieldChanges(before: object, after: object): string {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]))
    .map((k) => `${k}: ${show(a[k])} -> ${show(b[k])}`)
    .join('; ');
}

/** `key value, key value` of the given fields. */
function fieldList(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === 'string' ? v : canonicalJson(v)}`)
    .join(', ');
}

function serviceFields(s: CentralService): string {
  const { name: _name, ...fields } = serviceAsWritten(s);
  return fieldList(fields);
}

function policyFields(p: ServicePolicy): string {
  const written = policyAsWritten(p);
  return Object.keys(written).length ? fieldList(written) : 'the defaults';
}

/** One line of the diff `apply` prints: `+` added, `~` changed, `-` removed. */
export function describeChange(change: NetworkChange): string {
  switch (change.type) {
    case 'service-create':
      return `+ service ${change.service.name}: ${serviceFields(change.service)}`;
    case 'service-update':
      return `~ service ${change.service.name}: ${fieldChanges(change.before, change.service)}`;
    case 'service-delete':
      return `- service ${change.before.name}`;
    case 'policy-create':
      return `+ policy ${change.service}: ${policyFields(change.policy)}`;
    case 'policy-update':
      return `~ policy ${change.service}: ${fieldChanges(change.before, change.policy)}`;
    case 'policy-delete':
      return `- policy ${change.service} (back to the defaults)`;
    case 'token-create':
      return `+ token ${change.token.name} (${change.token.role})`;
    case 'token-update':
      return `~ token ${change.token.name}: role ${change.before.role} -> ${change.token.role}`;
    case 'token-delete':
      return `- token ${change.before.name} (${change.before.role})`;
    default: {
      const unreachable: never = change;
      return unreachable;
    }
  }
}

/** `2 to add, 1 to change, 0 to remove`. */
export function summarize(changes: readonly NetworkChange[]): string {
  const count = (suffix: string): number => changes.filter((c) => c.type.endsWith(suffix)).length;
  return `${count('-create')} to add, ${count('-update')} to change, ${count('-delete')} to remove`;
}
