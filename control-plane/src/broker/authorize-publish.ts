import type { AedesOptions, Client } from 'aedes';
import { agentMayPublish, type Clock } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { DenialTracker } from './denial-tracker.js';
import { OrderedRelease } from './ordered-release.js';
import type { PublishRateLimiter } from './publish-rate-limit.js';

/** What the publish hook needs. */
export interface AuthorizePublishDeps {
  limiter: PublishRateLimiter;
  denials: DenialTracker;
  metrics: Metrics;
  logger: Logger;
  audit: AuditLog;
  clock: Clock;
  sourceOf(conn: object): string | undefined;
}

/**
 * The aedes `authorizePublish` hook, deny by default: an agent publishes only to its own agent -> hub topics
 * (shared ACL), within its rates (a publish over a rate waits; one that would wait too long is refused). An
 * agent's publishes on a topic go on in the order they came (OrderedRelease), throttled or not.
 * A refusal makes aedes close the connection. Each connection counts at most one denial (a batch of denied
 * packets is one), and repeated denials quarantine the agent (see DenialTracker). Publishes without a client
 * (the broker's own, e.g. a Last Will) are allowed.
 */
export function createAuthorizePublish(
  deps: AuthorizePublishDeps,
): NonNullable<AedesOptions['authorizePublish']> {
  const denied = new WeakSet<Client>();
  const order = new OrderedRelease<Client>(deps.clock);
  const deny = (client: Client, reason: 'acl' | 'rate', topic: string): Error => {
    if (denied.has(client)) return new Error('connection closing after a denied publish');
    denied.add(client);
    const source = deps.sourceOf(client.conn);
    deps.metrics.publishDenials.inc({ reason });
    deps.logger.warn(
      { agentId: client.id, reason, topic: topic.slice(0, 200) },
      'publish denied, disconnecting',
    );
    deps.audit.record(
      reason === 'acl'
        ? {
            kind: 'acl-denied',
            agentId: client.id,
            source,
            detail: { via: 'mqtt', action: 'publish', topic: topic.slice(0, 200) },
          }
        : { kind: 'rate-limited', agentId: client.id, source, detail: { what: 'publish' } },
    );
    const outcome = deps.denials.record(client.id);
    if (outcome.quarantined) {
      deps.metrics.quarantines.inc();
      const until = new Date(outcome.untilMs).toISOString();
      deps.logger.warn(
        { agentId: client.id, until, attempt: outcome.attempt },
        'agent quarantined after repeated denials',
      );
      deps.audit.record({
        kind: 'agent-quarantined',
        agentId: client.id,
        source,
        detail: { attempt: outcome.attempt },
      });
    }
    return new Error(`agent "${client.id}" may not publish to "${topic.slice(0, 200)}" (${reason})`);
  };
  return (client, packet, callback) => {
    if (client === null) return callback(null);
    if (!agentMayPublish(client.id, packet.topic)) return callback(deny(client, 'acl', packet.topic));
    const decision = deps.limiter.charge(client.id, packet.topic, packet.payload.length);
    switch (decision.action) {
      case 'pass':
        return order.release(client, packet.topic, 0, callback);
      case 'delay':
        deps.metrics.publishesThrottled.inc();
        return order.release(client, packet.topic, decision.delayMs, callback);
      case 'refuse':
        return callback(deny(client, 'rate', packet.topic));
      default: {
        const unreachable: never = decision;
        return callback(new Error(`unhandled rate decision ${JSON.stringify(unreachable)}`));
      }
    }
  };
}
