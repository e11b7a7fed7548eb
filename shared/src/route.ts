import { z } from 'zod';
import { AgentIdSchema, CENTRAL, LabelsSchema, ServiceNameSchema, SiteSchema } from './ids.js';

/** Where a route came from, as seen by the node holding it. */
export const OriginKindSchema = z.enum(['local', 'edge', 'central', 'peer']);
/** Where a route came from: `local` (this node's own), `edge` (an agent's), `central` (the hub's), `peer` (another hub replica). */
export type OriginKind = z.infer<typeof OriginKindSchema>;

/** A route is `active` while its origin is connected, `stale` after it went away (kept, not deleted). */
export const RouteStateSchema = z.enum(['active', 'stale']);
/** Route liveness state. */
export type RouteState = z.infer<typeof RouteStateSchema>;

/**
 * Where an agent's own route came from: `static` (flags, config file), `api` (its local API), `file` (a watched
 * services file), `etcd` (a go-micro etcd registry), `mdns` (DNS-SD on the local link).
 */
export const RouteSourceSchema = z.enum(['static', 'api', 'file', 'etcd', 'mdns']);
/** Where an agent's own route came from. */
export type RouteSource = z.infer<typeof RouteSourceSchema>;

/**
 * One instance of one service, reachable through one origin. Plain data. Strict (unknown keys refused): what an
 * agent advertises; the hub's own sends are read with `.strip()` (see messages.ts, "Strictness").
 */
export const RouteSchema = z.strictObject({
  service: ServiceNameSchema,
  address: z.string().min(1).max(2048),
  origin: z.union([AgentIdSchema, z.literal(CENTRAL)]),
  originKind: OriginKindSchema,
  site: SiteSchema,
  labels: LabelsSchema,
  metric: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  state: RouteStateSchema,
  version: z.number().int().min(0),
  staleSince: z.number().int().min(0).optional(),
  /** Where the agent found it (its own routes; absent on central routes and from older agents). */
  source: RouteSourceSchema.optional(),
});
/** One instance of one service, reachable through one origin. */
export type Route = z.infer<typeof RouteSchema>;

/** A route's stable identity: service, origin and address (never the metric). */
export type RouteKey = string;

/** A route's key as last computed, with the fields it was computed from (a route changed since is keyed again). */
interface KeyedFields {
  service: string;
  origin: string;
  address: string;
  key: RouteKey;
}

const keys = new WeakMap<object, KeyedFields>();

/**
 * The stable key of a route over its identity fields (service, origin, address), never its metric. Remembered per
 * route object: a call keys its candidates several times (selection, exclusions, load), and each JSON.stringify
 * showed in the hub's profile.
 */
export function routeKey(route: Pick<Route, 'service' | 'origin' | 'address'>): RouteKey {
  const { service, origin, address } = route;
  const known = keys.get(route);
  if (known && known.service === service && known.origin === origin && known.address === address)
    return known.key;
  const key = JSON.stringify([service, origin, address]);
  keys.set(route, { service, origin, address, key });
  return key;
}

/** True when two routes with the same key differ in anything a reader can see (version and staleSince excluded). */
export function routeChanged(a: Route, b: Route): boolean {
  return (
    a.metric !== b.metric ||
    a.site !== b.site ||
    a.state !== b.state ||
    a.originKind !== b.originKind ||
    a.source !== b.source ||
    !sameLabels(a.labels, b.labels)
  );
}

/** True when two label sets hold the same pairs. */
export function sameLabels(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => b[k] === a[k]);
}

/** A change to a route table: what happened and to which route. */
export type RouteEvent =
  | { type: 'created'; route: Route }
  | { type: 'updated'; route: Route; previous: Route }
  | { type: 'deleted'; route: Route };
