import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic-write.js';

/** The systemd unit `join --install-service` writes. */
export const UNIT_NAME = 'tether-agent.service';
/** The environment file beside the credential in the state dir (mode 0600: it may hold the API token). */
export const ENV_FILE = 'agent.env';

/** What a unit runs: the agent's command, its state dir and its settings as TETHER_* variables. */
export interface ServiceSpec {
  /** The command that starts this build: the executable, or node and the bundle. */
  command: string[];
  stateDir: string;
  env: Record<string, string>;
  description: string;
}

/** An argument of ExecStart, quoted when it needs to be (systemd's rules: double quotes, backslash escapes). */
function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The unit text: runs `run` with the env file, restarts always (an upgrade from the hub swaps the build and
 * exits: systemd starts the new one), waits for the network, and keeps the agent's privileges from growing.
 */
export function systemdUnit(spec: ServiceSpec): string {
  const envFile = path.join(spec.stateDir, ENV_FILE);
  return [
    '[Unit]',
    `Description=${spec.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `EnvironmentFile=${envFile}`,
    `ExecStart=${[...spec.command, 'run'].map(quoteArg).join(' ')}`,
    'Restart=always',
    'RestartSec=2',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The env file's text: one `KEY=value` a line, values quoted for systemd. */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${quoteArg(v)}\n`)
    .join('');
}

/** Writes the unit to `unitDir` and the env file to the state dir; returns both paths. */
export async function installService(
  spec: ServiceSpec,
  unitDir: string,
): Promise<{ unit: string; envFile: string }> {
  const unit = path.join(unitDir, UNIT_NAME);
  const envFile = path.join(spec.stateDir, ENV_FILE);
  await mkdir(unitDir, { recursive: true });
  await writeFileAtomic(envFile, envFileText({ TETHER_STATE_DIR: spec.stateDir, ...spec.env }));
  await writeFileAtomic(unit, systemdUnit(spec));
  return { unit, envFile };
}
