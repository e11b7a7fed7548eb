import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConflictError, parseDuration, TetherError, ValidationError } from '@tether/shared';
import { ConfigError, loadConfig, type ConfigFile } from './config.js';
import { parseSize } from './calls/parse-size.js';
import { startControlPlane } from './control-plane.js';
import { retentionPolicy } from './reports/retention-config.js';
import { openDatabase } from './db/open-database.js';
import { createLogger, LOG_LEVELS, type LogFormat } from './logger.js';
import { registerAgent } from './register-agent.js';
import { AgentStore } from './store/agent-store.js';

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
  logLevel: string;
  logFormat: LogFormat;
}

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
  const logger = createLogger(flags.logLevel, flags.logFormat);
  const cp = await startControlPlane({
    dataDir,
    mqttPort: flags.mqttPort ?? file.mqttPort ?? 1883,
    httpPort: flags.httpPort ?? file.httpPort ?? 8080,
    host: flags.host ?? file.host ?? '0.0.0.0',
    // The HTTP API has no authentication yet, so it listens on loopback unless told otherwise.
    httpHost: flags.httpHost ?? file.httpHost ?? '127.0.0.1',
    site: file.site ?? 'central',
    services: file.services ?? [],
    policies: file.policies ?? {},
    ...(staleGraceMs === undefined ? {} : { staleGraceMs }),
    ...(flags.maxBody === undefined ? {} : { maxBodyBytes: flags.maxBody }),
    retention: retentionPolicy(file.reports?.retention),
    logger,
  });
  process.stdout.write(`${JSON.stringify({ mqtt: cp.ports.mqtt, http: cp.ports.http })}\n`);
  process.stderr.write(readyHint(cp.ports, dataDir, flags.httpHost ?? file.httpHost ?? '127.0.0.1'));
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

/** What a person starting the server needs to read next: where the API is and how to add an agent. */
function readyHint(ports: { mqtt: number; http: number }, dataDir: string, httpHost: string): string {
  const host = httpHost === '0.0.0.0' ? '127.0.0.1' : httpHost;
  return [
    '',
    `Tether control plane is up. Dashboard: http://${host}:${ports.http}/  API: http://${host}:${ports.http}/api/v1/agents  MQTT: mqtt://<this host>:${ports.mqtt}`,
    `Add an agent:  pnpm exec tether-cp agent add <id> --data-dir ${dataDir}`,
    `Then on the edge:  TETHER_SECRET=<secret> pnpm exec tether-agent run --control-plane mqtt://<this host>:${ports.mqtt} --id <id>`,
    '',
  ].join('\n');
}

function addAgent(id: string, flags: { dataDir: string }): void {
  const db = openDatabase(join(flags.dataDir, 'tether.db'));
  try {
    const agent = registerAgent(new AgentStore(db), id, Date.now());
    process.stdout.write(`${JSON.stringify(agent)}\n`);
  } finally {
    db.close();
  }
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
    .option('--http-host <host>', 'HTTP listen address (default 127.0.0.1: the API has no auth yet)')
    .option('--max-body <size>', 'body limit of calls through /call (default 64MiB)', sizeArg)
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log format: pretty when stderr is a terminal, else JSON')
        .choices(['auto', 'json', 'pretty'])
        .default('auto'),
    )
    .action((flags: ServeFlags) => serve(flags));
  const agent = program.command('agent').description('manage agents');
  agent
    .command('add <id>')
    .description('register an agent and print its secret once')
    .requiredOption('--data-dir <dir>', 'data directory')
    .action((id: string, flags: { dataDir: string }) => addAgent(id, flags));
  return program;
}

/** The CLI entry point: `main(process.argv)`. Sets `process.exitCode` (2: bad config, 1: other errors). */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, EXIT_CONFIG);
    if (err instanceof ConflictError || err instanceof ValidationError) return fail(err.message, 1);
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
