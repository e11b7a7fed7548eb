import { z } from 'zod';
import {
  DurationInputSchema,
  LabelsSchema,
  ServiceNameSchema,
  ServiceUrlSchema,
  type Labels,
  type RouteSource,
} from '@tether/shared';

/**
 * An optional health check of a local service, as written in config files and API requests: an HTTP GET of `path`
 * (an `http(s)://` service), a TCP connect (a `tcp://` one, which takes no `path`).
 */
export const HealthCheckInputSchema = z.strictObject({
  path: z.string().startsWith('/').max(1024).optional(),
  interval: DurationInputSchema.optional(),
  timeout: DurationInputSchema.optional(),
  unhealthyThreshold: z.number().int().min(1).max(100).optional(),
});

/** A local service, as written in config files and `POST /v1/services` bodies. */
export const ServiceInputSchema = z
  .strictObject({
    name: ServiceNameSchema,
    /** `http://`, `https://` or `tcp://host:port` (reached through listeners, not `/call`). */
    url: ServiceUrlSchema,
    metric: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    labels: LabelsSchema.optional(),
    healthCheck: HealthCheckInputSchema.optional(),
  })
  .refine((s) => !(s.url.startsWith('tcp:') && s.healthCheck?.path !== undefined), {
    message: 'a tcp:// service is checked by connecting to it: drop healthCheck.path',
    path: ['healthCheck', 'path'],
  });
/** A local service as given by a person. */
export type ServiceInput = z.infer<typeof ServiceInputSchema>;

/** A resolved health check, durations in ms. */
export interface HealthCheckSpec {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
}

/** Where a local service was found: `static` (flags, config file), `api`, or a registry (`file`, `etcd`, `mdns`). */
export type ServiceSource = RouteSource;

/** A resolved local service. */
export interface ServiceSpec {
  name: string;
  url: string;
  metric: number;
  labels: Labels;
  healthCheck?: HealthCheckSpec;
  source: ServiceSource;
}
