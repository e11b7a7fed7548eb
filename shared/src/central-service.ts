import { z } from 'zod';
import { AgentIdSchema, CENTRAL, LabelsSchema, ServiceNameSchema, type Labels } from './ids.js';
import type { Route } from './route.js';
import { ServiceUrlSchema } from './service-url.js';

/**
 * Which edges may see a central service: all given selectors must match; none given means every edge. Strict: a
 * misspelt selector (`label` for `labels`) is refused, never dropped into "visible to every edge".
 */
export const VisibilitySchema = z.strictObject({
  labels: LabelsSchema.optional(),
  agents: z.array(AgentIdSchema).max(10_000).optional(),
});
/** Which edges may see a central service. */
export type Visibility = z.infer<typeof VisibilitySchema>;

/** A service the control plane itself offers to edges (API body and config file entry; unknown keys refused). */
export const CentralServiceSchema = z.strictObject({
  name: ServiceNameSchema,
  /** `http(s)://` (calls and upgrades through `/call`) or `tcp://host:port` (streams through listeners). */
  url: ServiceUrlSchema,
  labels: LabelsSchema.default({}),
  metric: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1),
  visibleTo: VisibilitySchema.optional(),
});
/** A central service definition, as stored and served by the API. */
export type CentralService = z.infer<typeof CentralServiceSchema>;

/** What hub policy knows of an edge when deciding what it may see. */
export interface EdgeIdentity {
  id: string;
  site: string;
  labels: Labels;
}

/** True when the edge matches every selector of the visibility rule. */
export function isVisibleTo(visibility: Visibility | undefined, edge: EdgeIdentity): boolean {
  if (!visibility) return true;
  if (visibility.agents && !visibility.agents.includes(edge.id)) return false;
  const labels = visibility.labels ?? {};
  return Object.entries(labels).every(([k, v]) => edge.labels[k] === v);
}

/** The route a central service is advertised as. */
export function centralRoute(service: CentralService, site: string, version: number): Route {
  return {
    service: service.name,
    address: service.url,
    origin: CENTRAL,
    originKind: 'central',
    site,
    labels: service.labels,
    metric: service.metric,
    state: 'active',
    version,
  };
}
