import { parseDuration } from '@tether/shared';
import { ConfigError } from '../errors.js';

/** Timing every source shares: full resync interval, grace while unreachable, and (mDNS) the answer window. */
export interface SourceTiming {
  /** A full list (which prunes what is gone) this often, besides the watch. */
  resyncMs: number;
  /** How long an unreachable registry's routes stay active before they go stale. */
  graceMs: number;
}

/** A configured source, from `--source URL`. */
export type SourceConfig = SourceTiming & {
  /** The URL as given, credentials redacted: how logs and the API name the source. */
  name: string;
  /** Import only instances marked with this metadata key (TXT key, file label). */
  exportKey?: string;
} & (
    | { type: 'file'; path: string }
    | { type: 'etcd'; endpoint: string; prefix: string }
    | { type: 'mdns'; serviceType: string; windowMs: number }
  );

/** Defaults: resync every 60 s (go-micro's router: 120 s), 60 s of grace, mDNS answers collected for 1 s. */
export const SOURCE_DEFAULTS = { resyncMs: 60_000, graceMs: 60_000, windowMs: 1_000 } as const;
/** go-micro's etcd registry prefix. */
export const MICRO_PREFIX = '/micro/registry/';

const COMMON_PARAMS = ['export', 'resync', 'grace'];
const EXAMPLES =
  'file:///etc/tether/services.yaml, etcd://127.0.0.1:2379[/micro/registry/], mdns://[?type=_http._tcp]';

/** Parses one `--source` URL; a ConfigError says what is wrong and shows the forms that work. */
export function parseSourceUrl(text: string): SourceConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`invalid source "${text}": not a URL; expected one of ${EXAMPLES}`);
  }
  const fail = (why: string): never => {
    throw new ConfigError(`invalid source "${redact(url)}": ${why}`);
  };
  const param = (key: string): string | undefined => url.searchParams.get(key) ?? undefined;
  const duration = (key: string, fallback: number, min: number): number => {
    const value = param(key);
    if (value === undefined) return fallback;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      return fail(`${key}=${value} is not a duration (e.g. 500ms, 30s, 5m)`);
    }
    return ms < min ? fail(`${key} must be at least ${min}ms`) : ms;
  };
  const allow = (extra: string[]): void => {
    for (const key of url.searchParams.keys())
      if (!COMMON_PARAMS.includes(key) && !extra.includes(key))
        fail(`unknown parameter "${key}" (known: ${[...COMMON_PARAMS, ...extra].join(', ')})`);
  };
  const exportKey = param('export');
  if (exportKey !== undefined && (exportKey.length === 0 || exportKey.length > 64))
    fail('export must name a metadata key of 1-64 characters');
  const common = {
    name: redact(url),
    resyncMs: duration('resync', SOURCE_DEFAULTS.resyncMs, 200),
    graceMs: duration('grace', SOURCE_DEFAULTS.graceMs, 0),
    ...(exportKey === undefined ? {} : { exportKey }),
  };
  switch (url.protocol) {
    case 'file:': {
      allow([]);
      if (url.host !== '') fail('a file URL has no host: file:///absolute/path');
      const path = decodeURIComponent(url.pathname);
      if (!/\.(ya?ml|json)$/i.test(path)) fail('the file must be .yaml, .yml or .json');
      return { ...common, type: 'file', path };
    }
    case 'etcd:': {
      allow([]);
      if (url.hostname === '' || url.port === '') fail('expected etcd://host:port[/prefix/]');
      const prefix = url.pathname === '' || url.pathname === '/' ? MICRO_PREFIX : url.pathname;
      return {
        ...common,
        type: 'etcd',
        endpoint: `http://${url.host}`,
        prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
      };
    }
    case 'mdns:': {
      allow(['type', 'window']);
      const serviceType = param('type') ?? '_http._tcp';
      if (!/^_[A-Za-z0-9-]{1,15}\._(tcp|udp)$/.test(serviceType))
        fail(`type=${serviceType} is not a DNS-SD service type such as _http._tcp`);
      if (url.host !== '' || (url.pathname !== '' && url.pathname !== '/'))
        fail('mdns takes no host or path: mdns://?type=_http._tcp');
      return {
        ...common,
        type: 'mdns',
        serviceType,
        windowMs: duration('window', SOURCE_DEFAULTS.windowMs, 100),
      };
    }
    default:
      return fail(`unknown scheme "${url.protocol}"; expected one of ${EXAMPLES}`);
  }
}

function redact(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = copy.username ? '***' : '';
  copy.password = copy.password ? '***' : '';
  return copy.href;
}
