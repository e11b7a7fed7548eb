import { createHash } from 'node:crypto';
import { routeKey, type Route } from './route.js';

/**
 * A digest of an advertised set over what both ends store (identity, metric, site, labels), independent of
 * order, state and version. Sender and receiver compare it to detect drift without re-sending the table.
 */
export function routesDigest(routes: Iterable<Route>): string {
  const rows = [...routes]
    .map((r) => JSON.stringify([routeKey(r), r.metric, r.site, Object.entries(r.labels).sort(byLabelName)]))
    .sort();
  const hash = createHash('sha256');
  for (const row of rows) hash.update(row).update('\n');
  return hash.digest('hex').slice(0, 32);
}

/** Orders label entries by name alone (names are unique), so no two entries ever compare equal. */
function byLabelName([a]: [string, string], [b]: [string, string]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
