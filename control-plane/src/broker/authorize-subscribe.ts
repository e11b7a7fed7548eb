import type { AedesOptions } from 'aedes';
import { agentMaySubscribe } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { Metrics } from '../observability/metrics.js';

/** What the subscribe hook needs. */
export interface AuthorizeSubscribeDeps {
  metrics: Metrics;
  audit: AuditLog;
  sourceOf(conn: object): string | undefined;
}

/**
 * The aedes `authorizeSubscribe` hook, deny by default: an agent subscribes only to its own inbox, never with
 * wildcards (shared ACL). A refused filter is negated: its SUBACK carries 128 (failure); it is counted and
 * audited (coalesced), and the connection stays.
 */
export function createAuthorizeSubscribe(
  deps: AuthorizeSubscribeDeps,
): NonNullable<AedesOptions['authorizeSubscribe']> {
  return (client, subscription, callback) => {
    if (agentMaySubscribe(client.id, subscription.topic)) return callback(null, subscription);
    deps.metrics.subscribeDenials.inc();
    deps.audit.record({
      kind: 'acl-denied',
      agentId: client.id,
      source: deps.sourceOf(client.conn),
      detail: { via: 'mqtt', action: 'subscribe', topic: subscription.topic.slice(0, 200) },
    });
    callback(null, null);
  };
}
