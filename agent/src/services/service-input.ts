import { z } from 'zod';
import {
  DurationInputSchema,
  LabelsSchema,
  ServiceNameSchema,
  type Labels,
  type RouteSource,
} from '@tether/shared';

/** An optional HTTP health check of a local service, as written in config files and API requests. */
export const HealthCheckInputSchema = z.strictObject({
  path: z.string().startsWith('/').max(1024).optional(),
  interval: DurationInputSchema.optional(),
  timeout: DurationInputSchema.optional(),
  unhealthyThreshold: z.number().int().min(1).max(100).optional(),
});

/** A local service, as written in config files and `POST /v1/services` bodies. */
export const ServiceInputSchema = z.strictObject({
  name: ServiceNameSchema,
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  metric: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  labels: LabelsSchema.optional(),
  healthCheck: HealthCheckInputSchema.optional(),
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
