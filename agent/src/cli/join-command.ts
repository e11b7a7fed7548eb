import path from 'node:path';
import { readCredential } from '../credentials/credential-file.js';
import type { CliFlags, Env } from '../config/config-sources.js';
import type { AgentLogger } from '../observability/logger.js';
import { enroll } from './enroll/enroll-command.js';

/** `join`'s flags: every flag of `run` (those naming the control plane and secret excepted), and the service's. */
export interface JoinFlags extends CliFlags {
  installService?: boolean;
  unitDir?: string;
}

/**
 * Enrolls with a grant that carries the control plane's API (`tg2`, as `tether-cp grant create` prints it) into
 * the state dir, unless that state dir is enrolled already (a restarted service joins again: it just runs).
 * Returns the state dir to run from.
 */
export async function join(
  grant: string,
  flags: JoinFlags,
  env: Env,
  logger: Pick<AgentLogger, 'warn' | 'info'>,
  cwd = process.cwd(),
): Promise<string> {
  const given = flags.stateDir ?? env.TETHER_STATE_DIR;
  if (given !== undefined) {
    const dir = path.resolve(cwd, given);
    const credential = await readCredential(dir);
    if (credential) {
      logger.info({ id: credential.id, stateDir: dir }, 'enrolled already: running');
      return dir;
    }
  }
  const enrolled = await enroll(
    {
      grant,
      ...(given === undefined ? {} : { stateDir: given }),
      ...(flags.id === undefined ? {} : { id: flags.id }),
      ...(flags.caFile === undefined ? {} : { caFile: flags.caFile }),
      ...(flags.fingerprint === undefined ? {} : { fingerprint: flags.fingerprint }),
      ...(flags.insecure === undefined ? {} : { insecure: flags.insecure }),
    },
    env,
    logger,
    cwd,
  );
  return enrolled.stateDir;
}

/** The settings a service runs with, as the TETHER_* variables of its env file (the rest comes from the state dir). */
export function serviceEnv(flags: CliFlags): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: string | string[] | undefined): void => {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
    env[name] = Array.isArray(value) ? value.join(',') : value;
  };
  set('TETHER_SERVICES', flags.service);
  set('TETHER_LABELS', flags.label);
  set('TETHER_SITE', flags.site);
  set('TETHER_STRATEGY', flags.strategy);
  set('TETHER_API_PORT', flags.apiPort);
  set('TETHER_API_HOST', flags.apiHost);
  set('TETHER_API_TOKEN', flags.apiToken);
  set('TETHER_LOG_LEVEL', flags.logLevel);
  set('TETHER_LOG_FORMAT', flags.logFormat ?? 'json');
  set('TETHER_CONFIG', flags.config);
  return env;
}
