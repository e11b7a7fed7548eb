import { z } from 'zod';
import { ApiFileSchema, type ApiSettings } from '../api/api-settings.js';
import {
  AdvertiseStrategySchema,
  AgentIdSchema,
  DurationInputSchema,
  LabelsSchema,
  ReportStreamSchema,
  SiteSchema,
  parseRate,
} from '@tether/shared';
import type { AdvertiseStrategy, Labels } from '@tether/shared';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../observability/logger.js';
import type { Credential } from '../credentials/credential-file.js';
import type { TlsSettings } from '../link/tls/tls-plan.js';
import { ServiceInputSchema, type ServiceSpec } from '../services/service-input.js';
import type { SourceConfig } from '../sources/source-url.js';
import { ListenSpecSchema, type ListenSpec } from '../calls/listen-spec.js';
import type { OutboxLimits } from '../reports/outbox-types.js';
import { STREAM_PRIORITIES, type StreamPriority } from '../reports/stream-priority.js';

/** A size as written by people: a number of bytes, or text such as `512KiB`, `64MiB`, `1GB`. */
export const SizeInputSchema = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\s*\d+(?:\.\d+)?\s*(?:[kmgKMG]i?[bB]|[bB])?\s*$/, 'a size such as 4096, 512KiB or 64MiB'),
]);

/** A link rate as written by people: `32kbit`, `2mbit`, `64kbps` (bits per second) or `4KiB/s` (bytes). */
export const RateInputSchema = z.string().refine(
  (text) => {
    try {
      parseRate(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'a rate such as 32kbit, 2mbit, 64kbps or 4KiB/s' },
);

/** A report stream's priority: `high` overtakes `normal` (the default), which overtakes `low`. */
export const StreamPrioritySchema = z.enum(STREAM_PRIORITIES);

/** What the outbox does at its limits: refuse new reports (507) or drop the oldest. */
export const OverflowPolicySchema = z.enum(['refuse', 'drop-oldest']);

/** The config file (`--config`, JSON or YAML). Every field is optional here: flags and env may supply it. */
export const ConfigFileSchema = z.strictObject({
  /** One control-plane URL, or several (replicas: the agent fails over between them). */
  controlPlane: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(8)]).optional(),
  id: AgentIdSchema.optional(),
  secret: z.string().min(1).optional(),
  strategy: AdvertiseStrategySchema.optional(),
  site: SiteSchema.optional(),
  labels: LabelsSchema.optional(),
  services: z.array(ServiceInputSchema).max(1000).optional(),
  /** Service registries to import from: file:///…, etcd://host:port[/prefix/], mdns://[?type=_http._tcp]. */
  sources: z.array(z.string().min(1)).max(32).optional(),
  /** Local ports forwarding each connection to a TCP service through the hub (`--listen`). */
  listen: z.array(ListenSpecSchema).max(100).optional(),
  api: ApiFileSchema.optional(),
  stateDir: z.string().min(1).optional(),
  digestInterval: DurationInputSchema.optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  logFormat: z.enum(LOG_FORMATS).optional(),
  outbox: z
    .strictObject({
      maxBytes: SizeInputSchema.optional(),
      maxAge: DurationInputSchema.optional(),
      overflow: OverflowPolicySchema.optional(),
    })
    .optional(),
  /** The report uplink: `maxRate` caps report bytes on the wire (metered links). */
  uplink: z.strictObject({ maxRate: RateInputSchema.optional() }).optional(),
  /** Per report stream settings: `priority` (high, normal, low). */
  streams: z.record(ReportStreamSchema, z.strictObject({ priority: StreamPrioritySchema })).optional(),
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional(),
      fingerprint: z.string().min(1).optional(),
      insecure: z.boolean().optional(),
    })
    .optional(),
});
/** A parsed config file. */
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** How reports go up: a rate cap (bytes/s on the wire, null: none) and per-stream priorities. */
export interface UplinkSettings {
  maxRate: number | null;
  streamPriority: Record<string, StreamPriority>;
}

/** The agent's complete configuration after flags, env, file and defaults were merged and checked. */
export interface AgentConfig {
  controlPlane: string;
  /** Every control-plane URL when there are several (replicas), `controlPlane` first. */
  controlPlanes?: string[];
  id: string;
  secret: string;
  strategy: AdvertiseStrategy;
  site: string;
  labels: Labels;
  services: ServiceSpec[];
  /** The registries to import from (`--source`), in order (earlier ones win an instance both list). */
  sources: SourceConfig[];
  listen: ListenSpec[];
  api: ApiSettings;
  stateDir: string;
  digestIntervalMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  outbox: OutboxLimits;
  uplink: UplinkSettings;
  tls: TlsSettings;
  /** The state dir's credential, when the agent runs from one (rotations update it). */
  credential?: Credential;
}
