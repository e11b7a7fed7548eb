import { z } from 'zod';
import { AgentIdSchema, CENTRAL, LabelsSchema, SiteSchema } from '../ids.js';
import type { Route } from '../route.js';

/** Priority of an instance no tier matches (lower is preferred). */
export const DEFAULT_PRIORITY = 100;

/** Selects instances: every given field must match (`agent` is the route's origin, `central` for the hub's). */
export const RouteMatchSchema = z.strictObject({
  /** The instance's site. */
  site: SiteSchema.optional(),
  /** Labels the instance must carry (all of them). */
  labels: LabelsSchema.optional(),
  /** The agent id offering the instance, or `central`. */
  agent: z.union([AgentIdSchema, z.literal(CENTRAL)]).optional(),
});
/** An instance selector; an empty one matches every instance. */
export type RouteMatch = z.infer<typeof RouteMatchSchema>;

/** The circuit breaker's settings: eject after N consecutive failures for `baseMs * 2^(n-1)`, capped at `maxMs`. */
export const EjectionSchema = z
  .strictObject({
    /** Consecutive failures or timeouts that eject an instance (default 3). */
    consecutiveFailures: z.number().int().min(1).max(1000).default(3),
    /** The first ejection's length in ms (default 1000); each further ejection doubles it. */
    baseMs: z.number().int().min(1).max(3_600_000).default(1000),
    /** The longest ejection in ms (default 30000). */
    maxMs: z.number().int().min(1).max(86_400_000).default(30_000),
  })
  .refine((e) => e.maxMs >= e.baseMs, { message: 'maxMs must be >= baseMs', path: ['maxMs'] });
/** Circuit-breaker settings with defaults applied. */
export type Ejection = z.infer<typeof EjectionSchema>;

/** The default circuit-breaker settings. */
export const DEFAULT_EJECTION: Ejection = { consecutiveFailures: 3, baseMs: 1000, maxMs: 30_000 };

/**
 * How calls to one service pick an instance. Steps, in order: name ownership (`allowEdgeInstances`) -> `filter` ->
 * edge-caller visibility (`allowEdgeCallers`) -> active routes -> the lowest `tiers` priority with an available
 * instance -> same site as the caller (`localFirst`) -> weighted random between `weights` groups -> fewest calls
 * in flight.
 */
export const ServicePolicySchema = z.strictObject({
  /** Only instances matching this are ever used: all given `labels`, and a site among `sites` when given. */
  filter: z
    .strictObject({
      /** Labels an instance must carry (all of them). */
      labels: LabelsSchema.optional(),
      /** Sites an instance must be at (any of them). */
      sites: z.array(SiteSchema).min(1).max(256).optional(),
    })
    .optional(),
  /**
   * Priority tiers: an instance gets the priority of the first entry it matches, else 100. The lowest priority
   * with an available instance takes every call; when none of its instances is available the next one takes
   * over (active/standby). Default: none (one tier).
   */
  tiers: z
    .array(z.strictObject({ match: RouteMatchSchema, priority: z.number().int().min(0).max(1_000_000) }))
    .max(64)
    .default([]),
  /**
   * Weight groups inside a tier: an instance belongs to the first entry it matches; instances matching none form
   * one group of weight `defaultWeight`. A call picks a group at random in proportion to its weight (only groups
   * with an available instance count), then the instance with the fewest calls in flight. Weight 0 means "only
   * when no weighted group has an available instance". Default: none (one group).
   */
  weights: z
    .array(z.strictObject({ match: RouteMatchSchema, weight: z.number().int().min(0).max(1_000_000) }))
    .max(64)
    .default([]),
  /** Weight of the group of instances no `weights` entry matches (default 1). */
  defaultWeight: z.number().int().min(0).max(1_000_000).default(1),
  /** Inside a tier, prefer instances at the caller's site when one is available (default true). */
  localFirst: z.boolean().default(true),
  /**
   * Edges (agent ids, or `*` for all) that may call this service's instances on OTHER edges. Central instances
   * are callable by every edge, and an edge may always reach its own instances. Default: none.
   */
  allowEdgeCallers: z
    .array(z.union([AgentIdSchema, z.literal('*')]))
    .max(10_000)
    .default([]),
  /**
   * Agents (ids, or `*` for all) whose instances may serve this service when the hub defines it centrally (config
   * file or API): the hub owns the name, and any other edge route of it is a conflict, kept out of selection for
   * every caller. Irrelevant to a service the hub does not define (the edges offering it own it). Default: none.
   */
  allowEdgeInstances: z
    .array(z.union([AgentIdSchema, z.literal('*')]))
    .max(10_000)
    .default([]),
  /** Passive health: the circuit breaker's settings. */
  ejection: EjectionSchema.default(DEFAULT_EJECTION),
});
/** A service's selection policy with every default applied. */
export type ServicePolicy = z.infer<typeof ServicePolicySchema>;
/** A service's selection policy as written (defaults not yet applied). */
export type ServicePolicyInput = z.input<typeof ServicePolicySchema>;

/** The policy of a service nobody configured: every default. */
export const DEFAULT_POLICY: ServicePolicy = ServicePolicySchema.parse({});

/** True when the route matches every given field of the selector. */
export function matchesRoute(match: RouteMatch, route: Route): boolean {
  if (match.site !== undefined && route.site !== match.site) return false;
  if (match.agent !== undefined && route.origin !== match.agent) return false;
  return hasLabels(route, match.labels);
}

/** True when the route carries every given label. */
export function hasLabels(route: Route, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!labels) return true;
  return Object.entries(labels).every(([k, v]) => route.labels[k] === v);
}

/** True when the route passes the policy's `filter`. */
export function passesFilter(policy: ServicePolicy, route: Route): boolean {
  const f = policy.filter;
  if (!f) return true;
  if (f.sites && !f.sites.includes(route.site)) return false;
  return hasLabels(route, f.labels);
}

/** The tier priority of a route: the first matching tier's, else DEFAULT_PRIORITY. */
export function priorityOf(policy: ServicePolicy, route: Route): number {
  return policy.tiers.find((t) => matchesRoute(t.match, route))?.priority ?? DEFAULT_PRIORITY;
}

/** The weight group of a route: the index of the first matching `weights` entry, or -1 (the default group). */
export function weightGroupOf(policy: ServicePolicy, route: Route): number {
  return policy.weights.findIndex((w) => matchesRoute(w.match, route));
}
