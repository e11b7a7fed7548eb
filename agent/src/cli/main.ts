import { Command, CommanderError, Option } from 'commander';
import { startAgent, type AgentHandle } from '../agent.js';
import { ConfigError } from '../errors.js';
import { enroll, type EnrollFlags } from './enroll/enroll-command.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS } from '../observability/logger.js';
import { CONFIG_DEFAULTS, type CliFlags } from '../config/config-sources.js';
import { loadConfig } from '../config/load-config.js';
import { AGENT_VERSION } from '../version.js';
import { addHelpExamples } from '@tether/shared';
import { AGENT_EXAMPLES } from './help-examples.js';
import { thisBuild, type ThisBuild } from '../upgrades/this-build.js';
import type { StagedBuild } from '../upgrades/upgrade-receiver.js';
import { writeOutcome } from '../upgrades/upgrade-outcome.js';
import { handOver, UPGRADE_ID_ENV, UPGRADED_MESSAGE } from './hand-over.js';
import { join, serviceEnv, type JoinFlags } from './join-command.js';
import { installService } from './service-unit.js';
import { collectStartupGarbage } from './collect-startup-garbage.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The `tether-agent` command line: `run` starts an agent. Exit status 2 on bad configuration. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('tether-agent')
    .description(
      'Tether edge agent: dials out to the control plane, advertises local services, caches central routes.',
    )
    .version(AGENT_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const runCommand = program
    .command('run')
    .description('connect to the control plane and serve the local API (STDOUT: JSON lines; logs: STDERR)')
    .option(
      '--control-plane <url>',
      'control plane URL: mqtt://, mqtts://, ws:// or wss://; repeat for replicas [env TETHER_CONTROL_PLANE, comma-separated]',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--id <id>', 'agent id (also the MQTT client id and username) [env TETHER_ID]')
    .option('--secret <secret>', 'agent secret (MQTT password) [env TETHER_SECRET]')
    .addOption(
      new Option(
        '--strategy <strategy>',
        `advertise strategy (default ${CONFIG_DEFAULTS.strategy}) [env TETHER_STRATEGY]`,
      ).choices(['none', 'local', 'best', 'all']),
    )
    .option('--site <name>', `site name (default ${CONFIG_DEFAULTS.site}) [env TETHER_SITE]`)
    .option('--label <k=v>', 'agent label, repeatable [env TETHER_LABELS=k=v,k=v]', collect, [])
    .option(
      '--service <name=url>',
      'local service (http://, https:// or tcp://host:port), repeatable [env TETHER_SERVICES=name=url,...]',
      collect,
      [],
    )
    .option(
      '--listen <name=[host:]port>',
      'a local port forwarding each connection to a TCP service through the hub (host default 127.0.0.1; port 0 picks one, see GET /v1/listeners), repeatable [env TETHER_LISTEN]',
      collect,
      [],
    )
    .option(
      '--source <url>',
      'import services from a registry, repeatable: file:///path/services.yaml, etcd://host:port[/prefix/], mdns://[?type=_http._tcp]; options ?export=KEY&resync=60s&grace=60s [env TETHER_SOURCES=url,...]',
      collect,
      [],
    )
    .option(
      '--api-port <n>',
      `local API port, 0 picks one and prints {"api":port} (default ${CONFIG_DEFAULTS.apiPort}) [env TETHER_API_PORT]`,
    )
    .option('--api-host <host>', `local API host (default ${CONFIG_DEFAULTS.apiHost}) [env TETHER_API_HOST]`)
    .option(
      '--api-token <token>',
      'require Authorization: Bearer <token> on the local API (all but /healthz) [env TETHER_API_TOKEN]',
    )
    .option(
      '--api-allow-origin <origin>',
      'a web origin whose pages may call the local API, repeatable (default none) [env TETHER_API_ALLOW_ORIGINS]',
      collect,
      [],
    )
    .option(
      '--api-allow-host <name>',
      'a Host name the local API answers besides loopback, repeatable [env TETHER_API_ALLOW_HOSTS]',
      collect,
      [],
    )
    .option('--state-dir <dir>', 'state directory (default ./.tether/<id>) [env TETHER_STATE_DIR]')
    .option('--config <file>', 'JSON or YAML config file [env TETHER_CONFIG]')
    .option('--ca-file <file>', 'verify the control plane against this CA (PEM) [env TETHER_CA_FILE]')
    .option(
      '--fingerprint <sha256:HEX>',
      "pin the control plane's certificate (default: the pin stored by enroll) [env TETHER_FINGERPRINT]",
    )
    .option(
      '--insecure',
      'do not verify the control plane at all (local experiments; warns) [env TETHER_INSECURE=1]',
    )
    .option(
      '--digest-interval <duration>',
      `advert digest interval (default ${CONFIG_DEFAULTS.digestInterval}) [env TETHER_DIGEST_INTERVAL]`,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        `log level (default ${CONFIG_DEFAULTS.logLevel}) [env TETHER_LOG_LEVEL]`,
      ).choices([...LOG_LEVELS]),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        `log format: pretty when stderr is a terminal, else JSON (default ${CONFIG_DEFAULTS.logFormat}) [env TETHER_LOG_FORMAT]`,
      ).choices([...LOG_FORMATS]),
    )
    .option(
      '--outbox-max-bytes <size>',
      `report outbox limit in body bytes (default ${CONFIG_DEFAULTS.outboxMaxBytes}) [env TETHER_OUTBOX_MAX_BYTES]`,
    )
    .option(
      '--outbox-max-age <duration>',
      `report outbox limit by age of the oldest report (default ${CONFIG_DEFAULTS.outboxMaxAge}) [env TETHER_OUTBOX_MAX_AGE]`,
    )
    .addOption(
      new Option(
        '--outbox-overflow <policy>',
        `at a limit: refuse new reports (507) or drop the oldest (default ${CONFIG_DEFAULTS.outboxOverflow}) [env TETHER_OUTBOX_OVERFLOW]`,
      ).choices(['refuse', 'drop-oldest']),
    )
    .option(
      '--stream-priority <stream=priority,...>',
      'report stream priorities: high overtakes normal (the default) overtakes low, e.g. alarms=high,metrics=low; repeatable [env TETHER_STREAM_PRIORITY]',
      collect,
      [],
    )
    .option(
      '--uplink-max-rate <rate>',
      'at most this many report bytes per second on the wire, e.g. 32kbit, 2mbit (metered links; default none) [env TETHER_UPLINK_MAX_RATE]',
    )
    .action(async (flags: CliFlags) => run(flags));

  program
    .command('enroll')
    .description(
      "redeem an enrollment grant and write this agent's credential to the state dir (then `run --state-dir DIR`)",
    )
    .option('--control-plane <url>', 'the control plane HTTP(S) API, e.g. https://cp.example:8080')
    .option('--grant <token>', 'the grant "tether-cp grant create" printed [env TETHER_GRANT]')
    .option('--state-dir <dir>', 'where the credential goes (default ./.tether/<id>) [env TETHER_STATE_DIR]')
    .option('--id <id>', "the agent id to ask for (default: the grant's, else generated) [env TETHER_ID]")
    .option('--ca-file <file>', 'verify the control plane against this CA (PEM)')
    .option('--fingerprint <sha256:HEX>', "pin the control plane's certificate (default: the grant's pin)")
    .option('--insecure', 'do not verify the control plane at all (local experiments; warns)')
    .action(async (flags: EnrollFlags) => {
      const result = await enroll(flags, process.env, await createLogger('info'));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  const joinCommand = program
    .command('join <grant>')
    .description(
      "enroll with a grant (it carries the control plane's address and pin) and run; on an enrolled state dir, just run",
    )
    .option(
      '--install-service',
      'instead of running: write a systemd unit and its env file, then say how to start it',
    )
    .option(
      '--unit-dir <dir>',
      'where --install-service writes tether-agent.service (default /etc/systemd/system)',
    );
  // Every flag of `run` but those the credential answers (where the control plane is, the secret).
  for (const option of runCommand.options)
    if (option.long !== '--control-plane' && option.long !== '--secret') joinCommand.addOption(option);
  joinCommand.action(async (grant: string, flags: JoinFlags) => {
    const logger = await createLogger('info');
    const stateDir = await join(grant, flags, process.env, logger);
    if (!flags.installService) return run({ ...flags, stateDir });
    const installed = await installService(
      {
        command: thisBuild().command,
        stateDir,
        env: serviceEnv(flags),
        description: 'Tether edge agent',
      },
      flags.unitDir ?? '/etc/systemd/system',
    );
    process.stdout.write(
      `${JSON.stringify({ ...installed, start: 'systemctl daemon-reload && systemctl enable --now tether-agent' })}\n`,
    );
  });

  program
    .command('report <stream>')
    .description('read NDJSON reports from stdin and post them to the local agent API (202: durable)')
    .option('--api <url>', 'the agent API (default http://127.0.0.1:7070) [env TETHER_API]')
    .option('--api-token <token>', "the agent API's token, when it has one [env TETHER_API_TOKEN]")
    .action(async (stream: string, flags: { api?: string; apiToken?: string }) => {
      // Loaded only for this command: the running agent never needs it (pnpm bench:footprint).
      const { DEFAULT_API, reportFromStdin } = await import('./report-command.js');
      process.exitCode = await reportFromStdin(stream, {
        url: flags.api ?? process.env.TETHER_API ?? DEFAULT_API,
        token: flags.apiToken ?? process.env.TETHER_API_TOKEN,
      });
    });

  addHelpExamples(program, AGENT_EXAMPLES);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`tether-agent: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }

    process.stderr.write(`tether-agent: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

async function run(flags: CliFlags): Promise<void> {
  const config = await loadConfig(flags, process.env);
  const logger = await createLogger(config.logLevel, 2, config.logFormat);
  const build = thisBuild();
  // Only the first start of this process is the new build of an upgrade; a restart after a rollback is not.
  let justUpgraded = process.env[UPGRADE_ID_ENV];
  delete process.env[UPGRADE_ID_ENV];
  let agent: AgentHandle | undefined;
  let handingOver = false;
  const start = async (): Promise<AgentHandle> => {
    const upgrades = { buildFile: build.file, justUpgraded, onStaged, onReported };
    justUpgraded = undefined;
    const started = await startAgent({ ...config, logger, ...(upgradable(build) ? { upgrades } : {}) });
    if (config.api.port === 0) process.stdout.write(`${JSON.stringify({ api: started.apiPort })}\n`);
    logger.info({ apiPort: started.apiPort, host: config.api.host }, 'local API listening');
    collectStartupGarbage();
    return started;
  };
  // A new build started by its predecessor tells it (IPC) once it connected and reported `upgraded`.
  const onReported = (): void => {
    if (!process.send || !process.connected) return;
    process.send({ type: UPGRADED_MESSAGE }, () => {
      if (process.connected) process.disconnect();
    });
  };
  // A verified build: close this agent, start the new one and watch it; exit if it connects, else run on.
  const onStaged = (staged: StagedBuild): void => {
    handingOver = true;
    void (async () => {
      await agent?.close();
      const result = await handOver(build, staged, process.argv.slice(2), config.stateDir, logger);
      if (result.ok) {
        logger.info({ upgrade: staged.upgrade, pid: result.pid }, 'the new build connected: this one exits');
        process.exit(0);
      }
      await writeOutcome(config.stateDir, {
        v: 1,
        type: 'upgrade-result',
        upgrade: staged.upgrade,
        outcome: 'rolled-back',
        version: AGENT_VERSION,
        reason: result.reason,
      });
      handingOver = false;
      agent = await start();
    })().catch((err: Error) => {
      logger.error({ err: err.message }, 'upgrade hand-over failed');
      process.exit(1);
    });
  };
  agent = await start();
  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    if (handingOver) process.exit(0);
    (agent?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** Only the bundle and the single executable replace themselves; a workspace checkout is upgraded by hand. */
function upgradable(build: ThisBuild): boolean {
  return build.kind === 'executable' || build.file.endsWith('.mjs');
}
