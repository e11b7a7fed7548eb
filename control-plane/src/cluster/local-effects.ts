import type { Change } from './change-applier.js';

/**
 * What this process holds that a change from another replica must reach besides the SQLite row itself (the read
 * caches see the row by themselves: the applier marks the database changed).
 */
export interface LocalEffectsDeps {
  /** Cuts a revoked agent off (tunnel, connection, routes). */
  revocations: { enforce(agentId: string): void };
  /** Closes the WebSockets opened with a deleted token, or with one whose role changed. */
  tokenSockets: { revoke(tokenId: string): void; sweep(): void };
  /** Reconciles a service's name conflicts after its policy changed (`allowEdgeInstances`). */
  conflicts?: { reconcile(service: string): void };
}

/** The `onApplied` hook of a cluster member: a replicated change takes effect here as it did on its replica. */
export function localEffectsOf(deps: LocalEffectsDeps): (change: Change) => void {
  return (change) => {
    if (change.table === 'agents' && change.row?.['revoked_at'] != null) deps.revocations.enforce(change.key);
    if (change.table === 'api_tokens') {
      if (change.row) deps.tokenSockets.sweep();
      else deps.tokenSockets.revoke(change.key);
    }
    if (change.table === 'service_policies') deps.conflicts?.reconcile(change.key);
  };
}
