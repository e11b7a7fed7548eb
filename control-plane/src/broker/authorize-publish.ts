import type { AedesOptions } from 'aedes';
import { agentMayPublish } from '@tether/shared';

/**
 * The aedes `authorizePublish` hook, deny by default: an agent publishes only to its own advert and status
 * topics (shared ACL). Publishes without a client (the broker's own, e.g. a Last Will) are allowed.
 */
export function createAuthorizePublish(): NonNullable<AedesOptions['authorizePublish']> {
  return (client, packet, callback) => {
    if (client === null) return callback(null);
    if (agentMayPublish(client.id, packet.topic)) return callback(null);
    callback(new Error(`agent "${client.id}" may not publish to "${packet.topic}"`));
  };
}
