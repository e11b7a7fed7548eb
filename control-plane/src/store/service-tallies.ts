import BTreeModule from 'sorted-btree';
import type { Route } from '@tether/shared';

type BTreeClass = typeof BTreeModule.default;
// sorted-btree is CommonJS (see route-index.ts).
const BTree: BTreeClass = typeof BTreeModule === 'function' ? BTreeModule : BTreeModule.default;

/** One service's routes counted: by state, and by the site they were advertised from. */
export interface ServiceTally {
  active: number;
  stale: number;
  /** Routes per site (a site leaves when its last route does). */
  sites: Map<string, number>;
}

/**
 * Each service name with routes, in name order, and its routes counted, kept as routes come and go: the services
 * listing pages names and reads counts without walking any service's routes.
 */
export class ServiceTallies {
  readonly #byName = new BTree<string, ServiceTally>();

  /** Counts a route in. */
  add(route: Route): void {
    let tally = this.#byName.get(route.service);
    if (!tally) this.#byName.set(route.service, (tally = { active: 0, stale: 0, sites: new Map() }));
    tally[route.state === 'stale' ? 'stale' : 'active']++;
    tally.sites.set(route.site, (tally.sites.get(route.site) ?? 0) + 1);
  }

  /** Counts a route out (the route as it was counted in). */
  remove(route: Route): void {
    const tally = this.#byName.get(route.service);
    if (!tally) return;
    tally[route.state === 'stale' ? 'stale' : 'active']--;
    const left = (tally.sites.get(route.site) ?? 1) - 1;
    if (left > 0) tally.sites.set(route.site, left);
    else tally.sites.delete(route.site);
    if (tally.active + tally.stale <= 0) this.#byName.delete(route.service);
  }

  /** Forgets everything. */
  clear(): void {
    this.#byName.clear();
  }

  /** One service's tally, if it has routes. */
  get(service: string): ServiceTally | undefined {
    return this.#byName.get(service);
  }

  /** Up to `limit` service names after `after` (from the first when undefined), in name order, with their tallies. */
  after(after: string | undefined, limit: number): [string, ServiceTally][] {
    const out: [string, ServiceTally][] = [];
    for (const [name, tally] of this.#byName.entries(after)) {
      if (name === after) continue;
      if (out.length >= limit) break;
      out.push([name, tally]);
    }
    return out;
  }
}
