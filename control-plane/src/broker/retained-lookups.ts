import { Readable } from 'node:stream';
import { isHubToAgentFilter } from '@tether/shared';

/** The one method of an aedes persistence (memory or Redis) that looks retained messages up. */
interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): unknown;
}

/**
 * Skips the retained-message lookup of a SUBSCRIBE whose every filter is an agent's own hub -> agent filter, where
 * nothing is ever retained (see isHubToAgentFilter). aedes looks retained messages up on every SUBSCRIBE, and both
 * persistences make that cost the whole store for a wildcard filter (the in-memory one for any filter: it tests
 * every retained topic): with a retained status per agent, every agent's connect cost grew with the fleet.
 */
export function skipRetainedLookups(persistence: RetainedSource): void {
  const lookup = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) =>
    patterns.every(isHubToAgentFilter) ? Readable.from([]) : lookup(patterns);
}
