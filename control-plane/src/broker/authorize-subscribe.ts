import type { AedesOptions } from 'aedes';
import { agentMaySubscribe } from '@tether/shared';

/**
 * The aedes `authorizeSubscribe` hook, deny by default: an agent subscribes only to its own inbox, never with
 * wildcards (shared ACL). A refused filter is negated: its SUBACK carries 128 (failure).
 */
export function createAuthorizeSubscribe(): NonNullable<AedesOptions['authorizeSubscribe']> {
  return (client, subscription, callback) => {
    if (agentMaySubscribe(client.id, subscription.topic)) return callback(null, subscription);
    callback(null, null);
  };
}
