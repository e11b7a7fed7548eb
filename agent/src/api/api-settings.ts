import { z } from 'zod';
import { ConfigError } from '../errors.js';

import type { LocalAccessPolicy } from './local-access.js';

/** The local API's resolved settings: where it listens and whom it serves. */
export interface ApiSettings extends Omit<LocalAccessPolicy, 'bindHost'> {
  port: number;
  /** The address it listens on. */
  host: string;
}

/** Where the local API listens unless told otherwise. */
export const API_DEFAULTS = { host: '127.0.0.1', port: 7070 } as const;

/** The API flags of `tether-agent run`, as commander hands them over. */
export interface ApiFlags {
  apiPort?: string;
  apiHost?: string;
  apiToken?: string;
  apiAllowOrigin?: string[];
  apiAllowHost?: string[];
}

/** The `api` section of the config file. */
export const ApiFileSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  /** Every route but /healthz needs `Authorization: Bearer <token>`. */
  token: z.string().min(16).optional(),
  /** Origins whose pages may call the API (a browser's `Origin`, e.g. `http://localhost:3000`). */
  allowOrigins: z.array(z.url()).max(64).optional(),
  /** Host names besides loopback and the bind address the `Host` header may carry. */
  allowHosts: z.array(z.string().min(1).max(253)).max(64).optional(),
});

const list = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** Origins are compared as a browser sends them: scheme://host[:port], no path. */
function origin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new ConfigError(
      `invalid API origin "${text}" (--api-allow-origin): expected e.g. http://localhost:3000`,
      {
        cause,
      },
    );
  }
  if (url.origin === 'null' || url.pathname !== '/' || url.search || url.hash)
    throw new ConfigError(`invalid API origin "${text}" (--api-allow-origin): scheme://host[:port] only`);
  return url.origin;
}

/** The `api` section of the config file, parsed. */
export type ApiFile = z.infer<typeof ApiFileSchema>;

/** Merges the API settings of flags > env > file > defaults and checks them. */
export function resolveApiSettings(
  flags: ApiFlags,
  env: Record<string, string | undefined>,
  file: { api?: ApiFile | undefined },
): ApiSettings {
  const portText = flags.apiPort ?? env.TETHER_API_PORT ?? file.api?.port;
  const port =
    portText === undefined
      ? API_DEFAULTS.port
      : z.coerce.number().int().min(0).max(65535).safeParse(portText);
  if (typeof port !== 'number' && !port.success)
    throw new ConfigError(`invalid API port (--api-port) "${String(portText)}": expected 0-65535`);
  const token = flags.apiToken ?? env.TETHER_API_TOKEN ?? file.api?.token;
  if (token !== undefined && token.length < 16)
    throw new ConfigError(
      'invalid API token (--api-token): use at least 16 characters, e.g. `openssl rand -hex 16`',
    );
  const host = flags.apiHost ?? env.TETHER_API_HOST ?? file.api?.host ?? API_DEFAULTS.host;
  return {
    port: typeof port === 'number' ? port : port.data,
    host,
    token,
    allowedOrigins: (flags.apiAllowOrigin?.length
      ? flags.apiAllowOrigin
      : (list(env.TETHER_API_ALLOW_ORIGINS) ?? file.api?.allowOrigins ?? [])
    ).map(origin),
    allowedHosts: flags.apiAllowHost?.length
      ? flags.apiAllowHost
      : (list(env.TETHER_API_ALLOW_HOSTS) ?? file.api?.allowHosts ?? []),
  };
}
