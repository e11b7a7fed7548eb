import type BetterSqlite3 from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log.js';
import { createApiToken, deleteApiToken, type NewToken } from '../auth/api-tokens.js';
import { TokenStore } from '../auth/token-store.js';
import { PolicyStore } from '../policy/policy-store.js';
import { ServiceStore } from '../store/service-store.js';
import type { NetworkFile } from './network-file.js';
import { planNetwork, type NetworkChange } from './network-plan.js';
import type { NetworkState } from './network-state.js';

/** The audit actor of every change `tether-cp apply` makes. */
export const APPLY_ACTOR = 'apply';

/** The network as the data dir holds it now: central services, stored policies, tokens by name. */
export function readNetwork(db: BetterSqlite3.Database): NetworkState {
  return {
    services: new ServiceStore(db).list().map((r) => r.service),
    policies: Object.fromEntries(new PolicyStore(db).list().map((r) => [r.service, r.policy])),
    tokens: new TokenStore(db)
      .list()
      .map((t) => ({ name: t.name, role: t.role }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** What an apply did: the changes (made, or only planned with `dryRun`) and the tokens it created. */
export interface AppliedNetwork {
  changes: NetworkChange[];
  /** The new tokens with their secrets, shown once. */
  created: NewToken[];
}

/**
 * Makes the data dir's network match `desired`: reads, plans and makes every change with its audit row (actor
 * `apply`) in one IMMEDIATE transaction, so nothing slips in between and a failure changes nothing. With `dryRun`
 * it only plans. Central services are written to the services table; a running control plane makes their routes
 * and tells the edges when it sees the commit (`PRAGMA data_version`), a stopped one at its next start.
 */
export function applyNetwork(
  db: BetterSqlite3.Database,
  audit: AuditLog,
  desired: NetworkFile,
  options: { prune: boolean; dryRun: boolean; now: number },
): AppliedNetwork {
  if (options.dryRun) return { changes: planNetwork(readNetwork(db), desired, options), created: [] };
  return db
    .transaction((): AppliedNetwork => {
      const changes = planNetwork(readNetwork(db), desired, options);
      const tokens = new TokenStore(db);
      const stores: Stores = {
        services: new ServiceStore(db),
        policies: new PolicyStore(db),
        tokens,
        tokenIds: new Map(tokens.list().map((t) => [t.name, t.id])),
        audit,
      };
      const created = changes.flatMap((c) => makeChange(stores, c, options.now));
      return { changes, created };
    })
    .immediate();
}

/** Where an apply writes, and the ids of the tokens by name. */
interface Stores {
  services: ServiceStore;
  policies: PolicyStore;
  tokens: TokenStore;
  tokenIds: ReadonlyMap<string, string>;
  audit: AuditLog;
}

/** Makes one change with its audit row; the token a `token-create` made. */
function makeChange(stores: Stores, change: NetworkChange, now: number): NewToken[] {
  const { services, policies, tokens, audit } = stores;
  const actor = APPLY_ACTOR;
  switch (change.type) {
    case 'service-create':
    case 'service-update':
      services.upsert(change.service, 'api');
      audit.record({
        kind: 'service-set',
        actor,
        detail: { service: change.service.name, ...change.service },
      });
      return [];
    case 'service-delete':
      services.delete(change.before.name);
      audit.record({ kind: 'service-deleted', actor, detail: { service: change.before.name } });
      return [];
    case 'policy-create':
    case 'policy-update':
      policies.set(change.service, change.policy, 'api', now);
      audit.record({ kind: 'policy-set', actor, detail: { service: change.service, policy: change.policy } });
      return [];
    case 'policy-delete':
      policies.delete(change.service);
      audit.record({ kind: 'policy-deleted', actor, detail: { service: change.service } });
      return [];
    case 'token-create':
      return [createApiToken({ tokens, audit }, change.token, actor, now)];
    case 'token-update': {
      const tokenId = stores.tokenIds.get(change.token.name);
      if (tokenId !== undefined) tokens.setRole(tokenId, change.token.role);
      audit.record({
        kind: 'token-updated',
        actor,
        detail: { tokenId, name: change.token.name, role: change.token.role, from: change.before.role },
      });
      return [];
    }
    case 'token-delete': {
      const tokenId = stores.tokenIds.get(change.before.name);
      if (tokenId !== undefined) deleteApiToken({ tokens, audit }, tokenId, actor);
      return [];
    }
    default: {
      const unreachable: never = change;
      return unreachable;
    }
  }
}
