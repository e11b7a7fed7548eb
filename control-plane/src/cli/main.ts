import { Command, InvalidArgumentError, Option } from 'commander';
import {
  addAgent,
  certsInitCommand,
  createToken,
  deleteToken,
  grantCreate,
  grantRevoke,
  revokeAgent,
  type GrantFlags,
} from './data-dir-commands.js';
import type { ServeFlags } from './serve-command.js';
import type { UpgradeFlags } from './upgrade-command.js';
import { addHelpExamples, ConflictError, NotFoundError, TetherError, ValidationError } from '@tether/shared';
import { DATA_DIR_ENV, dataDirOption } from './data-dir.js';
import { CP_EXAMPLES } from './help-examples.js';
import {
  listAgents,
  listGrantsCommand,
  listTokens,
  type AgentListFlags,
  type ListFlags,
} from './list-commands.js';
import { addNetworkCommands } from './network-commands.js';
import { CP_VERSION } from './version.js';

import { ConfigError } from './config-file.js';
import { parseSize } from '../calls/parse-size.js';

import { LOG_LEVELS } from '../observability/logger.js';

/** Exit code of a bad config file or bad flags. */
export const EXIT_CONFIG = 2;

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

/** Builds the `tether-cp` command tree. */
export function createProgram(): Command {
  const program = new Command('tether-cp')
    .description('Tether control plane')
    .version(CP_VERSION)
    .exitOverride();
  program
    .command('serve')
    .description('run the broker, the route store and the HTTP API')
    .addOption(
      new Option('--data-dir <dir>', 'data directory, created if missing (default ./data)').env(DATA_DIR_ENV),
    )
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
    // Loaded only to serve: the other commands start without the broker, the HTTP stack and their dependencies.
    .action(async (flags: ServeFlags) => (await import('./serve-command.js')).serve(flags));
  const agent = program.command('agent').description('manage agents');
  agent
    .command('add <id>')
    .description('register an agent and print its secret once')
    .addOption(dataDirOption())
    .option('--redis-url <url>', 'in a cluster: claim the id in Redis first (docs/cluster.md)')
    .option(
      '--strategy <strategy>',
      'hold the agent to this strategy whatever it declares (none: its routes are never stored)',
    )
    .action((id: string, flags: { dataDir: string; redisUrl?: string; strategy?: string }) =>
      addAgent(id, flags),
    );
  agent
    .command('list')
    .description('list agents: state (online, stale, offline, revoked), site, strategy, routes')
    .addOption(dataDirOption())
    .option('--json', 'one JSON document {"agents":[...]} as GET /api/v1/agents answers')
    .option('--state <state>', 'only agents in this state: online, stale, offline or revoked')
    .option('--site <site>', 'only agents of this site')
    .action((flags: AgentListFlags) => listAgents(flags));
  agent
    .command('revoke <id>')
    .description('revoke an agent: a running server disconnects it within a second; it cannot reconnect')
    .addOption(dataDirOption())
    .action((id: string, flags: { dataDir: string }) => revokeAgent(id, flags));
  program
    .command('agents')
    .description('the fleet of agents')
    .command('upgrade')
    .description(
      'roll a new agent build out through the running control plane: canaries first, stopping on failures',
    )
    .addOption(dataDirOption())
    .requiredOption('--file <agent>', 'the build: tether-agent.mjs or the tether-agent executable')
    .option('--agents <selector>', 'agent ids or key=value labels (site=NAME), comma-separated (default all)')
    .option('--canary <n>', 'how many agents upgrade first (default 1)')
    .option('--max-failures <n>', 'failures (rolled back or refused) that stop the rollout (default 1)')
    .option(
      '--deadline <duration>',
      'how long a new build has to connect before it is rolled back (default 60s)',
    )
    .option('--url <url>', 'the API (default: the URL serve recorded in the data dir)')
    .option('--token <token>', 'an admin API token (default TETHER_TOKEN, else DATA_DIR/admin-token)')
    .action(async (flags: UpgradeFlags) => (await import('./upgrade-command.js')).upgradeAgents(flags));
  const token = program.command('token').description('manage API tokens');
  token
    .command('create')
    .description('create an API token and print it once as {"token":"..."}')
    .requiredOption('--role <role>', 'admin, viewer or caller')
    .option('--name <name>', 'a name (shown at the edge as central:<name>; default <role>-<id>)')
    .addOption(dataDirOption())
    .action((flags: { dataDir: string; role: string; name?: string }) => createToken(flags));
  token
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .addOption(dataDirOption())
    .option('--json', 'one JSON document {"tokens":[...]} as GET /api/v1/tokens answers')
    .action((flags: ListFlags) => listTokens(flags));
  token
    .command('delete <id>')
    .description('delete an API token (effective at once)')
    .addOption(dataDirOption())
    .action((id: string, flags: { dataDir: string }) => deleteToken(id, flags));
  const grant = program.command('grant').description('enrollment grants');
  grant
    .command('create')
    .description(
      'create a single-use enrollment grant; prints {"grant","expiresAt","join"} once (join: the command for the device)',
    )
    .addOption(dataDirOption())
    .option('--ttl <duration>', 'how long the grant stays valid (default 15m, at most 7d)')
    .option('--site <site>', 'the site of the agent it enrolls')
    .option('--label <k=v>', 'a label of the agent it enrolls, repeatable', collect, [])
    .option('--id <agentId>', 'the agent id it enrolls (default: chosen by the agent, else generated)')
    .option(
      '--strategy <strategy>',
      'hold the enrolled agent to this strategy whatever it declares (none: a reporting-only edge)',
    )
    .option(
      '--tls-cert <file>',
      'the server certificate to pin in the grant (default DATA_DIR/tls/server.crt)',
    )
    .option(
      '--url <url>',
      "the control plane's API as devices reach it, carried in the grant (default: the one serve last recorded)",
    )
    .action((flags: GrantFlags) => grantCreate(flags));
  grant
    .command('list')
    .description('list enrollment grants: valid, used or expired (never their secrets)')
    .addOption(dataDirOption())
    .option('--json', 'one JSON document {"grants":[...]}')
    .action((flags: ListFlags) => listGrantsCommand(flags));
  grant
    .command('revoke <grant>')
    .description('revoke a grant not redeemed yet, by its id (grant list) or its whole token')
    .addOption(dataDirOption())
    .action((grantId: string, flags: { dataDir: string }) => grantRevoke(grantId, flags));
  const certs = program.command('certs').description('TLS certificates');
  certs
    .command('init')
    .description('create a CA and a server certificate under DATA_DIR/tls (then serve uses TLS)')
    .addOption(dataDirOption())
    .option('--host <name>', 'a DNS name or IP the server certificate is valid for, repeatable', collect, [])
    .option('--days <n>', 'server certificate lifetime in days (default 825)')
    .option('--force', 'replace existing files')
    .action((flags: { dataDir: string; host: string[]; force?: boolean; days?: string }) =>
      certsInitCommand(flags),
    );
  addNetworkCommands(program);
  addHelpExamples(program, CP_EXAMPLES);
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
