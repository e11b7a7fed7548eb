import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ListenerConfigSchema } from '../api/listener-schemas.js';
import { LimitsConfigSchema } from '../broker/limits-config.js';
import {
  AgentIdSchema,
  CentralServiceSchema,
  formatZodError,
  DurationInputSchema,
  REPORT_FRAME_VERSION,
  ServiceNameSchema,
  ServicePolicySchema,
  SiteSchema,
  ValidationError,
} from '@tether/shared';

const port = z.number().int().min(0).max(65_535);
const retentionLimits = {
  maxAge: DurationInputSchema.optional(),
  maxRows: z.number().int().min(1).optional(),
  maxBytes: z.number().int().min(1).optional(),
};

/** Report retention in the config file: defaults for every stream, overridden per stream name. */
export const RetentionConfigSchema = z.strictObject({
  ...retentionLimits,
  streams: z.record(z.string(), z.strictObject(retentionLimits)).optional(),
});

/** The config file (JSON or YAML). Every field is optional; CLI flags override it. */
export const ConfigFileSchema = z.strictObject({
  mqttPort: port.optional(),
  httpPort: port.optional(),
  host: z.string().min(1).optional(),
  httpHost: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  staleGrace: DurationInputSchema.optional(),
  site: SiteSchema.optional(),
  services: z.array(CentralServiceSchema).optional(),
  /** TCP listeners (ports forwarding each connection to a service); they replace the config listeners stored before. */
  listeners: z.array(ListenerConfigSchema).max(1000).optional(),
  /** Route selection policies by service name (central or edge services); they replace API-set ones at start. */
  policies: z.record(ServiceNameSchema, ServicePolicySchema).optional(),
  reports: z
    .strictObject({
      retention: RetentionConfigSchema.optional(),
      /** The highest protocol version spoken on report topics: 1 as hubs before compressed batches (default: 2). */
      protocol: z.number().int().min(1).max(REPORT_FRAME_VERSION).optional(),
    })
    .optional(),
  limits: LimitsConfigSchema.optional(),
  /** TLS certificate and key files (PEM); default DATA_DIR/tls/server.{crt,key} when present. */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  mqttsPort: port.optional(),
  /** MQTT URLs handed to enrolling agents. */
  publicMqttUrls: z.array(z.url()).max(8).optional(),
  /** Join a cluster of replicas on this Redis (docs/cluster.md). */
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  /** This replica's id (default: random). */
  replicaId: AgentIdSchema.optional(),
});
/** A validated config file. */
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** A config file that cannot be used; the message names the bad field and what was expected. */
export class ConfigError extends ValidationError {}

/** Reads and validates a config file (`.json`, else YAML, which also accepts JSON). Throws ConfigError. */
export function loadConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON/YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseConfig(data ?? {}, path);
}

/** Validates config data; the error lists each bad field as `path.to.field: what was expected`. */
export function parseConfig(data: unknown, source = 'config'): ConfigFile {
  const parsed = ConfigFileSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ConfigError(`invalid ${source}: ${formatZodError(parsed.error)}`);
}
