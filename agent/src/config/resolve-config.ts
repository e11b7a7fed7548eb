import path from 'node:path';
import { z } from 'zod';
import {
  AdvertiseStrategySchema,
  AgentIdSchema,
  formatZodError,
  LabelsSchema,
  SiteSchema,
  parseBytes,
  DurationInputSchema,
  parseDuration,
  type AdvertiseStrategy,
  type Labels,
} from '@tether/shared';
import { resolveApiSettings } from '../api/api-settings.js';
import { ConfigError } from '../errors.js';
import { OverflowPolicySchema, SizeInputSchema, type AgentConfig, type ConfigFile } from './config-schema.js';
import { ServiceInputSchema, type ServiceSpec } from '../services/service-input.js';
import { type TlsSettings } from '../link/tls/tls-plan.js';
import { CONFIG_DEFAULTS, type CliFlags, type ConfigSources, type Env } from './config-sources.js';
import { normalizeControlPlaneUrl } from '../link/control-plane-url.js';
import { CREDENTIAL_FILE, secretDigest, type Credential } from '../credentials/credential-file.js';
import { LOG_FORMATS, LOG_LEVELS } from '../observability/logger.js';
import { serviceKey, toServiceSpec } from '../services/service-spec.js';
import { parseListenFlag, type ListenSpec } from '../calls/listen-spec.js';
import { resolveUplink } from './uplink-config.js';
import { parseSourceUrl, type SourceConfig } from '../sources/source-url.js';

/**
 * Merges flags, env, file, the state dir's credential and defaults (in that order of precedence) and validates
 * the result. One exception: a flag/env/file secret the credential records as replaced by a rotation gives way to
 * the credential's secret.
 */
export function resolveConfig({
  flags,
  env,
  file = {},
  credential,
  cwd = process.cwd(),
}: ConfigSources): AgentConfig {
  const pick = <T>(
    flag: string | undefined,
    envName: string,
    fromFile: T | undefined,
  ): T | string | undefined => flag ?? env[envName] ?? fromFile;

  const flagUrls = typeof flags.controlPlane === 'string' ? [flags.controlPlane] : flags.controlPlane;
  const envUrls = env['TETHER_CONTROL_PLANE']?.split(',').map((u) => u.trim());
  const fileUrls = typeof file.controlPlane === 'string' ? [file.controlPlane] : file.controlPlane;
  // The enrollment credential's list comes last: any URL given explicitly replaces it.
  const urls = [flagUrls, envUrls, fileUrls, credential?.controlPlanes].find(
    (l) => l !== undefined && l.length > 0,
  );
  const controlPlane = required(
    urls?.[0] ?? credential?.controlPlane,
    'control plane URL',
    '--control-plane',
    'TETHER_CONTROL_PLANE',
    'controlPlane',
  );
  const id = check(
    AgentIdSchema,
    required(pick(flags.id, 'TETHER_ID', file.id) ?? credential?.id, 'agent id', '--id', 'TETHER_ID', 'id'),
    'agent id (--id)',
  );
  if (credential && credential.id !== id)
    throw new ConfigError(
      `the state dir holds the credential of agent "${credential.id}", not "${id}": pass another --state-dir`,
    );
  const secret = pickSecret(pick(flags.secret, 'TETHER_SECRET', file.secret), credential);
  const strategy = resolveStrategy(pick(flags.strategy, 'TETHER_STRATEGY', file.strategy), credential);
  const site = check(
    SiteSchema,
    pick(flags.site, 'TETHER_SITE', file.site) ?? credential?.site ?? CONFIG_DEFAULTS.site,
    'site (--site)',
  );
  const labels: Labels = check(
    LabelsSchema,
    {
      ...credential?.labels,
      ...file.labels,
      ...keyValues(splitList(env.TETHER_LABELS), 'TETHER_LABELS'),
      ...keyValues(flags.label ?? [], '--label'),
    },
    'labels (--label)',
  );
  const stateDir = path.resolve(
    cwd,
    String(pick(flags.stateDir, 'TETHER_STATE_DIR', file.stateDir) ?? path.join('.tether', id)),
  );
  const digestInterval = check(
    DurationInputSchema,
    pick(flags.digestInterval, 'TETHER_DIGEST_INTERVAL', file.digestInterval) ??
      CONFIG_DEFAULTS.digestInterval,
    'digest interval (--digest-interval)',
  );
  const digestIntervalMs = parseDuration(digestInterval);
  if (digestIntervalMs < 100)
    throw new ConfigError(`invalid digest interval (--digest-interval): at least 100ms expected`);
  const logLevel = check(
    z.enum(LOG_LEVELS),
    pick(flags.logLevel, 'TETHER_LOG_LEVEL', file.logLevel) ?? CONFIG_DEFAULTS.logLevel,
    'log level (--log-level)',
  );
  const logFormat = check(
    z.enum(LOG_FORMATS),
    pick(flags.logFormat, 'TETHER_LOG_FORMAT', file.logFormat) ?? CONFIG_DEFAULTS.logFormat,
    'log format (--log-format)',
  );

  const maxBytes = parseBytes(
    check(
      SizeInputSchema,
      pick(flags.outboxMaxBytes, 'TETHER_OUTBOX_MAX_BYTES', file.outbox?.maxBytes) ??
        CONFIG_DEFAULTS.outboxMaxBytes,
      'outbox max bytes (--outbox-max-bytes)',
    ),
  );
  const maxAgeMs = parseDuration(
    check(
      DurationInputSchema,
      pick(flags.outboxMaxAge, 'TETHER_OUTBOX_MAX_AGE', file.outbox?.maxAge) ?? CONFIG_DEFAULTS.outboxMaxAge,
      'outbox max age (--outbox-max-age)',
    ),
  );
  const overflow = check(
    OverflowPolicySchema,
    pick(flags.outboxOverflow, 'TETHER_OUTBOX_OVERFLOW', file.outbox?.overflow) ??
      CONFIG_DEFAULTS.outboxOverflow,
    'outbox overflow policy (--outbox-overflow)',
  );

  return {
    controlPlane: normalizeControlPlaneUrl(String(controlPlane)),
    ...(urls && urls.length > 1 ? { controlPlanes: urls.map(normalizeControlPlaneUrl) } : {}),
    id,
    secret: String(secret),
    strategy,
    site,
    labels,
    services: mergeServices(flags, env, file),
    sources: resolveSources(flags, env, file),
    listen: resolveListen(flags, env, file),
    api: resolveApiSettings(flags, env, file),
    stateDir,
    digestIntervalMs,
    logLevel,
    logFormat,
    outbox: { maxBytes, maxAgeMs, overflow },
    uplink: resolveUplink(flags, env, file),
    tls: resolveTls(flags, env, file, credential),
    ...(credential ? { credential } : {}),
  };
}

/**
 * The strategy: the one given (flag, env, file), else the one the control plane fixed at enrollment (the
 * credential's), else the default. A given one that contradicts the fixed one is a ConfigError: the hub holds the
 * agent to its fixed strategy whatever it declares, and would refuse the routes.
 */
function resolveStrategy(given: string | undefined, credential: Credential | undefined): AdvertiseStrategy {
  const fixed = credential?.strategy;
  const what = 'strategy (--strategy)';
  const strategy = check(AdvertiseStrategySchema, given ?? fixed ?? CONFIG_DEFAULTS.strategy, what);
  if (fixed === undefined || strategy === fixed) return strategy;
  throw new ConfigError(
    `invalid ${what} "${strategy}": the control plane fixed this agent's strategy to "${fixed}" at enrollment ` +
      `(${CREDENTIAL_FILE}); drop --strategy, TETHER_STRATEGY and "strategy" in the config file, or give "${fixed}"`,
  );
}

/** The explicit secret, unless the credential says a rotation replaced it; else the credential's. */
function pickSecret(explicit: string | undefined, credential: Credential | undefined): string {
  if (explicit !== undefined && explicit !== '') {
    const replaced = credential?.supersedes?.includes(secretDigest(explicit)) ?? false;
    return replaced && credential ? credential.secret : explicit;
  }
  return required(credential?.secret, 'secret', '--secret', 'TETHER_SECRET', 'secret');
}

/** TLS trust: any of --ca-file, --fingerprint, --insecure (or their env/file forms) replaces the credential's. */
function resolveTls(
  flags: CliFlags,
  env: Env,
  file: ConfigFile,
  credential: Credential | undefined,
): TlsSettings {
  const caFile = flags.caFile ?? env.TETHER_CA_FILE ?? file.tls?.caFile;
  const fingerprint = flags.fingerprint ?? env.TETHER_FINGERPRINT ?? file.tls?.fingerprint;
  const insecure = flags.insecure ?? truthy(env.TETHER_INSECURE) ?? file.tls?.insecure ?? false;
  if (caFile !== undefined || fingerprint !== undefined || insecure) {
    return { ...(caFile ? { caFile } : {}), ...(fingerprint ? { fingerprint } : {}), insecure };
  }
  const stored = credential?.tls;
  return {
    ...(stored?.ca ? { ca: stored.ca } : {}),
    ...(stored?.fingerprint ? { fingerprint: stored.fingerprint } : {}),
    insecure: false,
  };
}

function truthy(text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  return ['1', 'true', 'yes'].includes(text.toLowerCase());
}

/** Flag services (or, without any, TETHER_SERVICES) plus the config file's; a flag wins over the same instance. */
function mergeServices(flags: CliFlags, env: Env, file: ConfigFile): ServiceSpec[] {
  const fromFlags = flags.service?.length
    ? parseServiceFlags(flags.service, '--service')
    : parseServiceFlags(splitList(env.TETHER_SERVICES), 'TETHER_SERVICES');
  const taken = new Set(fromFlags.map(serviceKey));
  const fromFile = (file.services ?? [])
    .map((s) => toServiceSpec(s, 'static'))
    .filter((s) => !taken.has(serviceKey(s)));
  return [...fromFlags, ...fromFile];
}

/** `--source` (repeatable), else TETHER_SOURCES (comma list), else the file's `sources`; each URL parsed. */
function resolveSources(flags: CliFlags, env: Env, file: ConfigFile): SourceConfig[] {
  const urls = flags.source?.length
    ? flags.source
    : env.TETHER_SOURCES !== undefined
      ? splitList(env.TETHER_SOURCES)
      : (file.sources ?? []);
  const configs = urls.map(parseSourceUrl);
  const names = configs.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError(`source ${twice} is given twice: give each registry once`);
  return configs;
}

/** `--listen` flags, else TETHER_LISTEN, else the config file's `listen`. */
function resolveListen(flags: CliFlags, env: Env, file: ConfigFile): ListenSpec[] {
  const given = flags.listen?.length ? flags.listen : splitList(env.TETHER_LISTEN);
  if (given.length === 0) return file.listen ?? [];
  const what = flags.listen?.length ? '--listen' : 'TETHER_LISTEN';
  return given.map((item) => {
    const spec = parseListenFlag(item);
    if (!spec)
      throw new ConfigError(
        `invalid ${what} "${item}": expected NAME=PORT or NAME=HOST:PORT, e.g. redis=127.0.0.1:6380`,
      );
    return spec;
  });
}

function parseServiceFlags(items: readonly string[], what: string): ServiceSpec[] {
  return keyValuePairs(items, what).map(([name, url]) =>
    toServiceSpec(check(ServiceInputSchema, { name, url }, `service "${name}=${url}" (${what})`), 'static'),
  );
}

function keyValuePairs(items: readonly string[], what: string): Array<[string, string]> {
  return items.map((item) => {
    const i = item.indexOf('=');
    if (i <= 0) throw new ConfigError(`invalid ${what} "${item}": expected key=value`);
    return [item.slice(0, i).trim(), item.slice(i + 1).trim()];
  });
}

function keyValues(items: readonly string[], what: string): Labels {
  return Object.fromEntries(keyValuePairs(items, what));
}

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function required<T>(
  value: T | undefined,
  what: string,
  flag: string,
  envName: string,
  fileField: string,
): T {
  if (value === undefined || value === '') {
    throw new ConfigError(
      `missing ${what}: pass ${flag}, set ${envName} or "${fileField}" in the config file`,
    );
  }
  return value;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`invalid ${what}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}
