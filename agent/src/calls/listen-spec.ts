import { z } from 'zod';
import { ServiceNameSchema } from '@tether/shared';

/** A port of the agent forwarding each local connection to a TCP service through the hub (`--listen`, `listen:`). */
export const ListenSpecSchema = z.strictObject({
  service: ServiceNameSchema,
  port: z.number().int().min(0).max(65_535),
  /** The address to bind (default 127.0.0.1: only local apps). */
  host: z.string().min(1).max(253).optional(),
});
/** One agent listener. */
export type ListenSpec = z.infer<typeof ListenSpecSchema>;

/** The address an agent listener binds unless told otherwise. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/**
 * Reads `NAME=PORT`, `NAME=HOST:PORT` or `NAME=[IPV6]:PORT` (a `--listen` flag or a `TETHER_LISTEN` item);
 * undefined when it is not one of those.
 */
export function parseListenFlag(text: string): ListenSpec | undefined {
  const match = /^([^=]+)=(?:(\[[^\]]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const [, service, host, port] = match;
  const parsed = ListenSpecSchema.safeParse({
    service: service!.trim(),
    port: Number(port),
    ...(host ? { host: host.replace(/^\[|\]$/g, '') } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}
