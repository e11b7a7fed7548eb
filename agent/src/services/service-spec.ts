import { formatZodError, parseDuration } from '@tether/shared';
import { ConfigError } from '../errors.js';
import {
  ServiceInputSchema,
  type HealthCheckSpec,
  type ServiceInput,
  type ServiceSource,
  type ServiceSpec,
} from './service-input.js';

/** Health-check defaults: GET `/` every 10 s, 2 s timeout, withdrawn after 2 failures in a row. */
export const HEALTH_CHECK_DEFAULTS: HealthCheckSpec = {
  path: '/',
  intervalMs: 10_000,
  timeoutMs: 2_000,
  unhealthyThreshold: 2,
};

/** Turns a validated service input into a resolved spec: metric 1 and no labels unless given, durations in ms. */
export function toServiceSpec(input: ServiceInput, source: ServiceSource): ServiceSpec {
  const spec: ServiceSpec = {
    name: input.name,
    url: input.url,
    metric: input.metric ?? 1,
    labels: input.labels ?? {},
    source,
  };
  const hc = input.healthCheck;
  if (hc) {
    spec.healthCheck = {
      path: hc.path ?? HEALTH_CHECK_DEFAULTS.path,
      intervalMs: hc.interval === undefined ? HEALTH_CHECK_DEFAULTS.intervalMs : parseDuration(hc.interval),
      timeoutMs: hc.timeout === undefined ? HEALTH_CHECK_DEFAULTS.timeoutMs : parseDuration(hc.timeout),
      unhealthyThreshold: hc.unhealthyThreshold ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
    };
  }
  return spec;
}

/** A resolved spec as is; a plain input validated (a ConfigError names the service) and resolved as `static`. */
export function resolveServiceSpec(item: ServiceSpec | ServiceInput): ServiceSpec {
  if ('source' in item) return item;
  const parsed = ServiceInputSchema.safeParse(item);
  if (!parsed.success)
    throw new ConfigError(`invalid service ${JSON.stringify(item.name)}: ${formatZodError(parsed.error)}`);
  return toServiceSpec(parsed.data, 'static');
}

/** The input form of a spec (durations in ms), for persisting API-added services. */
export function toServiceInput(spec: ServiceSpec): ServiceInput {
  const input: ServiceInput = { name: spec.name, url: spec.url, metric: spec.metric, labels: spec.labels };
  if (spec.healthCheck) {
    const hc = spec.healthCheck;
    input.healthCheck = {
      path: hc.path,
      interval: hc.intervalMs,
      timeout: hc.timeoutMs,
      unhealthyThreshold: hc.unhealthyThreshold,
    };
  }
  return input;
}

/** The identity of a local service instance: name plus URL (two instances of one service may coexist). */
export function serviceKey(spec: Pick<ServiceSpec, 'name' | 'url'>): string {
  return JSON.stringify([spec.name, spec.url]);
}
