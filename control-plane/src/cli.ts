import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ConflictError,
  NotFoundError,
  parseDuration,
  parseKeyValues,
  TetherError,
  ValidationError,
} from '@tether/shared';
import { AuditLog } from './audit/audit-log.js';
import { createApiToken, deleteApiToken } from './auth/api-tokens.js';
import { BOOTSTRAP_TOKEN_FILE } from './auth/bootstrap-token.js';
import { TokenStore } from './auth/token-store.js';
import { limitsFromConfig } from './broker/limits-config.js';
import { ConfigError, loadConfig, parseConfig, type ConfigFile } from './config.js';
import { parseSize } from './calls/parse-size.js';
import { startControlPlane, type ControlPlanePorts } from './control-plane.js';
import { createGrant, parseGrantRequest } from './enrollment/grants.js';
import { retentionPolicy } from './reports/retention-config.js';
import { openDatabase } from './db/open-database.js';
import { createLogger, LOG_LEVELS, type LogFormat } from './logger.js';
import { registerAgent } from './register-agent.js';
import { markRevoked } from './revocation/revoke-agent.js';
import { AgentStore } from './store/agent-store.js';
import { grantFingerprint, loadServerTls, resolveTlsFiles } from './tls/server-tls.js';

/** Exit code of a bad config file or bad flags. */
export const EXIT_CONFIG = 2;

interface ServeFlags {
  dataDir?: string;
  mqttPort?: number;
  httpPort?: number;
  config?: string;
  staleGrace?: string;
  host?: string;
  httpHost?: string;
  maxBody?: number;
  maxPacketSize?: number;
  connectTimeout?: string;
  tlsCert?: string;
  tlsKey?: string;
  mqttsPort?: number;
  publicMqttUrl: string[];
  redisUrl?: string;
  replicaId?: string;
  logLevel: string;
  logFormat: LogFormat;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function sizeArg(value: string): number {
  try {
    return parseSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port 0-65535');
  return n;
}

function fail(message: string, code: number): void {
  process.stderr.write(`tether-cp: ${message}\n`);
  process.exitCode = code;
}

/** `--redis-url`/`redisUrl` and `--replica-id`: a cluster member (docs/cluster.md). */
function clusterOptions(flags: ServeFlags, file: ConfigFile): { redisUrl?: string; replicaId?: string } {
  const redisUrl = flags.redisUrl ?? file.redisUrl;
  if (redisUrl === undefined) return {};
  const parsed = parseConfig({ redisUrl, replicaId: flags.replicaId ?? file.replicaId }, '--redis-url');
  return {
    ...(parsed.redisUrl ? { redisUrl: parsed.redisUrl } : {}),
    ...(parsed.replicaId ? { replicaId: parsed.replicaId } : {}),
  };
}

async function serve(flags: ServeFlags): Promise<void> {
  const file: ConfigFile = flags.config ? loadConfig(flags.config) : {};
  const dataDir = flags.dataDir ?? file.dataDir;
  if (!dataDir) throw new ConfigError('--data-dir (or dataDir in the config file) is required');
  const grace = flags.staleGrace ?? file.staleGrace;
  let staleGraceMs: number | undefined;
  try {
    staleGraceMs = grace === undefined ? undefined : parseDuration(grace);
  } catch (err) {
    throw new ConfigError(`staleGrace: ${(err as Error).message}`);
  }
  const tlsFiles = resolveTlsFiles(dataDir, flags.tlsCert ?? file.tls?.cert, flags.tlsKey ?? file.tls?.key);
  const tls = tlsFiles && loadServerTls(tlsFiles);
  // With TLS the plain MQTT listener is off unless a port is asked for explicitly.
  const mqttPort = flags.mqttPort ?? file.mqttPort ?? (tls ? undefined : 1883);
  const publicMqttUrls = flags.publicMqttUrl.length
    ? (parseConfig({ publicMqttUrls: flags.publicMqttUrl }, '--public-mqtt-url').publicMqttUrls ?? [])
    : (file.publicMqttUrls ?? []);
  const logger = createLogger(flags.logLevel, flags.logFormat);
  const limits = limitsFromConfig(file.limits);
  if (flags.maxPacketSize !== undefined) limits.maxPacketBytes = flags.maxPacketSize;
  if (flags.connectTimeout !== undefined) {
    try {
      limits.connectTimeoutMs = parseDuration(flags.connectTimeout);
    } catch (err) {
      throw new ConfigError(`--connect-timeout: ${(err as Error).message}`);
    }
  }
  if (tlsFiles) logger.info({ cert: tlsFiles.cert, source: tlsFiles.source }, 'TLS on: mqtts, https and wss');
  const cp = await startControlPlane({
    dataDir,
    ...(mqttPort === undefined ? {} : { mqttPort }),
    httpPort: flags.httpPort ?? file.httpPort ?? 8080,
    ...(tls ? { tls, mqttsPort: flags.mqttsPort ?? file.mqttsPort ?? 8883 } : {}),
    publicMqttUrls,
    ...clusterOptions(flags, file),
    host: flags.host ?? file.host ?? '0.0.0.0',
    // Loopback unless told otherwise: exposing the API is a decision (every route but probes needs a token).
    httpHost: flags.httpHost ?? file.httpHost ?? '127.0.0.1',
    site: file.site ?? 'central',
    services: file.services ?? [],
    policies: file.policies ?? {},
    ...(staleGraceMs === undefined ? {} : { staleGraceMs }),
    ...(flags.maxBody === undefined ? {} : { maxBodyBytes: flags.maxBody }),
    retention: retentionPolicy(file.reports?.retention),
    limits,
    logger,
  });
  process.stdout.write(`${JSON.stringify(cp.ports)}\n`);
  process.stderr.write(
    readyHint(cp.ports, dataDir, flags.httpHost ?? file.httpHost ?? '127.0.0.1', cp.fingerprint),
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await cp.close();
  process.exit(0);
}

/** What a person starting the server needs to read next: where the API is, its token, how to enroll an agent. */
function readyHint(
  ports: ControlPlanePorts,
  dataDir: string,
  httpHost: string,
  fingerprint?: string,
): string {
  const host = httpHost === '0.0.0.0' ? '127.0.0.1' : httpHost;
  const api = `${fingerprint ? 'https' : 'http'}://${host}:${ports.http}`;
  const mqtt = [
    ports.mqtts === undefined ? '' : `mqtts://<this host>:${ports.mqtts}`,
    ports.mqtt === undefined ? '' : `mqtt://<this host>:${ports.mqtt}`,
  ].filter(Boolean);
  return [
    '',
    `Tether control plane is up. Dashboard: ${api}/  API: ${api}/api/v1/agents  MQTT: ${mqtt.join(' ') || `(${api.replace('http', 'ws')}/mqtt)`}`,
    ...(fingerprint ? [`TLS certificate: ${fingerprint}`] : []),
    `API token (admin, created on first start): curl -H "authorization: Bearer $(cat ${join(dataDir, BOOTSTRAP_TOKEN_FILE)})" ...`,
    `Enroll an agent:  pnpm exec tether-cp grant create --data-dir ${dataDir}`,
    `Then on the edge:  pnpm exec tether-agent enroll --control-plane ${api} --grant <grant> --state-dir <dir>`,
    `                   pnpm exec tether-agent run --state-dir <dir>`,
    '',
  ].join('\n');
}

/** Runs `fn` on the data dir's database (whether or not the server runs: SQLite WAL, busy timeout). */
function withDatabase<T>(
  dataDir: string,
  fn: (db: ReturnType<typeof openDatabase>, audit: AuditLog) => T,
): T {
  const db = openDatabase(join(dataDir, 'tether.db'));
  const audit = new AuditLog({ db, clock: { now: Date.now, setTimeout: () => 0, clearTimeout: () => {} } });
  try {
    return fn(db, audit);
  } finally {
    audit.flush();
    db.close();
  }
}

/** The audit actor of a CLI command: whoever can read the data dir. */
const CLI_ACTOR = 'cli';

function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function addAgent(id: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, (db, audit) =>
    printLine(registerAgent(new AgentStore(db), id, Date.now(), { log: audit, actor: CLI_ACTOR })),
  );
}

function revokeAgent(id: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, (db, audit) => {
    const revoked = markRevoked({ agents: new AgentStore(db), audit }, id, CLI_ACTOR, Date.now());
    printLine({ id, revokedAt: new Date(revoked.revokedAt).toISOString() });
  });
}

function createToken(flags: { dataDir: string; role: string; name?: string }): void {
  withDatabase(flags.dataDir, (db, audit) => {
    const created = createApiToken(
      { tokens: new TokenStore(db), audit },
      { role: flags.role, ...(flags.name === undefined ? {} : { name: flags.name }) },
      CLI_ACTOR,
      Date.now(),
    );
    printLine({ token: created.token });
  });
}

function listTokens(flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, (db) => {
    for (const t of new TokenStore(db).list()) printLine({ id: t.id, name: t.name, role: t.role });
  });
}

function deleteToken(id: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, (db, audit) => {
    if (!deleteApiToken({ tokens: new TokenStore(db), audit }, id, CLI_ACTOR))
      throw new NotFoundError(`token "${id}" not found`);
    printLine({ id, deleted: true });
  });
}

interface GrantFlags {
  dataDir: string;
  ttl?: string;
  site?: string;
  label: string[];
  id?: string;
  tlsCert?: string;
}

/** `grant create`: works on the data dir whether or not the server runs (SQLite WAL). */
function grantCreate(flags: GrantFlags): void {
  const request = parseGrantRequest({
    ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
    ...(flags.site === undefined ? {} : { site: flags.site }),
    ...(flags.label.length ? { labels: parseKeyValues(flags.label, '--label') } : {}),
    ...(flags.id === undefined ? {} : { id: flags.id }),
  });
  // The pin grants carry: the certificate `serve` would use (--tls-cert, else DATA_DIR/tls/server.crt).
  const fingerprint = grantFingerprint(flags.dataDir, flags.tlsCert);
  withDatabase(flags.dataDir, (db, audit) =>
    printLine(createGrant(db, request, Date.now(), fingerprint, { log: audit, actor: CLI_ACTOR })),
  );
}

/** `certs init`: a CA and a server certificate under DATA_DIR/tls (the library loads only for this command). */
async function certsInitCommand(flags: { dataDir: string; host: string[]; force?: boolean; days?: string }) {
  const { certsInit } = await import('./tls/certs-init.js');
  const days = flags.days === undefined ? undefined : Number(flags.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650))
    throw new ValidationError('--days: an integer between 1 and 3650 expected');
  const result = await certsInit({
    dataDir: flags.dataDir,
    hosts: flags.host,
    ...(flags.force ? { force: true } : {}),
    ...(days === undefined ? {} : { days }),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Builds the `tether-cp` command tree. */
export function createProgram(): Command {
  const program = new Command('tether-cp').description('Tether control plane').exitOverride();
  program
    .command('serve')
    .description('run the broker, the route store and the HTTP API')
    .option('--data-dir <dir>', 'data directory (created if missing)')
    .option('--mqtt-port <port>', 'MQTT/TCP port (0: any free port)', portArg)
    .option('--http-port <port>', 'HTTP port, also MQTT over WebSocket at /mqtt (0: any free port)', portArg)
    .option('--config <file>', 'config file, JSON or YAML')
    .option('--stale-grace <duration>', 'delete stale routes after this long (default 5m)')
    .option('--host <host>', 'MQTT listen address (default 0.0.0.0)')
    .option('--http-host <host>', 'HTTP listen address (default 127.0.0.1)')
    .option('--max-body <size>', 'body limit of calls through /call (default 64MiB)', sizeArg)
    .option('--max-packet-size <size>', 'largest MQTT packet an agent may send (default 256KiB)', sizeArg)
    .option(
      '--connect-timeout <duration>',
      'close MQTT sockets without a CONNECT after this long (default 10s)',
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM; default DATA_DIR/tls/server.crt when present)')
    .option('--tls-key <file>', 'TLS private key (PEM; default DATA_DIR/tls/server.key when present)')
    .option('--mqtts-port <port>', 'MQTT over TLS port, with TLS (default 8883)', portArg)
    .option(
      '--public-mqtt-url <url>',
      'MQTT URL handed to enrolling agents, repeatable (default: the listeners at the host the agent called)',
      collect,
      [],
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log format: pretty when stderr is a terminal, else JSON')
        .choices(['auto', 'json', 'pretty'])
        .default('auto'),
    )
    .option('--redis-url <url>', 'join a cluster of replicas on this Redis (docs/cluster.md)')
    .option('--replica-id <id>', "this replica's id in the cluster (default: random)")
    .action((flags: ServeFlags) => serve(flags));
  const agent = program.command('agent').description('manage agents');
  agent
    .command('add <id>')
    .description('register an agent and print its secret once')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((id: string, flags: { dataDir: string }) => addAgent(id, flags));
  agent
    .command('revoke <id>')
    .description('revoke an agent: a running server disconnects it within a second; it cannot reconnect')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((id: string, flags: { dataDir: string }) => revokeAgent(id, flags));
  const token = program.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create an API token and print it once as {"token":"..."}')
    .requiredOption('--role <role>', 'admin, viewer or caller')
    .option('--name <name>', 'a name (shown at the edge as central:<name>; default <role>-<id>)')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((flags: { dataDir: string; role: string; name?: string }) => createToken(flags));
  token
    .command('list')
    .description('list API tokens (one JSON line each, never the token)')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((flags: { dataDir: string }) => listTokens(flags));
  token
    .command('delete <id>')
    .description('delete an API token (effective at once)')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((id: string, flags: { dataDir: string }) => deleteToken(id, flags));
  const grant = program.command('grant').description('enrollment grants');
  grant
    .command('create')
    .description('create a single-use enrollment grant; prints {"grant","expiresAt"} once')
    .requiredOption('--data-dir <dir>', 'data directory')
    .option('--ttl <duration>', 'how long the grant stays valid (default 15m, at most 7d)')
    .option('--site <site>', 'the site of the agent it enrolls')
    .option('--label <k=v>', 'a label of the agent it enrolls, repeatable', collect, [])
    .option('--id <agentId>', 'the agent id it enrolls (default: chosen by the agent, else generated)')
    .option(
      '--tls-cert <file>',
      'the server certificate to pin in the grant (default DATA_DIR/tls/server.crt)',
    )
    .action((flags: GrantFlags) => grantCreate(flags));
  const certs = program.command('certs').description('TLS certificates');
  certs
    .command('init')
    .description('create a CA and a server certificate under DATA_DIR/tls (then serve uses TLS)')
    .requiredOption('--data-dir <dir>', 'data directory')
    .option('--host <name>', 'a DNS name or IP the server certificate is valid for, repeatable', collect, [])
    .option('--days <n>', 'server certificate lifetime in days (default 825)')
    .option('--force', 'replace existing files')
    .action((flags: { dataDir: string; host: string[]; force?: boolean; days?: string }) =>
      certsInitCommand(flags),
    );
  return program;
}

/** The CLI entry point: `main(process.argv)`. Sets `process.exitCode` (2: bad config, 1: other errors). */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, EXIT_CONFIG);
    if (err instanceof ConflictError || err instanceof ValidationError || err instanceof NotFoundError)
      return fail(err.message, 1);
    if (err instanceof TetherError) return fail(err.message, 1);
    const code = (err as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const exit = (err as { exitCode?: number }).exitCode ?? 1;
      process.exitCode = exit === 0 ? 0 : EXIT_CONFIG;
      return;
    }
    fail((err as Error).message ?? String(err), 1);
  }
}
