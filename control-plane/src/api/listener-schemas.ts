import { z } from 'zod';
import { ServiceNameSchema } from '@tether/shared';

/** Where a listener binds: an IP address, or `localhost`. */
export const ListenHostSchema = z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], {
  error: 'an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost',
});

/** The address a listener binds unless told otherwise: loopback (exposing a service is a decision). */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** `POST /api/v1/listeners`: a TCP port of the control plane forwarding every connection to `service` (port 0: any free one). */
export const ListenerInputSchema = z.strictObject({
  service: ServiceNameSchema,
  port: z.number().int().min(0).max(65_535),
  host: ListenHostSchema.optional(),
});
/** A listener as asked for. */
export type ListenerInput = z.infer<typeof ListenerInputSchema>;

/** A listener in the config file: a fixed port. */
export const ListenerConfigSchema = ListenerInputSchema.extend({ port: z.number().int().min(1).max(65_535) });

/** A listener as the API shows it: where it listens, what it forwards to, and how it is doing. */
export const ListenerViewSchema = z.object({
  port: z.number().int(),
  host: z.string(),
  service: z.string(),
  source: z.enum(['api', 'config']),
  createdAt: z.string(),
  /** False when its port could not be bound at start (`error` says why). */
  listening: z.boolean(),
  error: z.string().nullable(),
  /** Connections open through it now. */
  connections: z.number().int(),
});
/** A listener as the API shows it. */
export type ListenerView = z.infer<typeof ListenerViewSchema>;
