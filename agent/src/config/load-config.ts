import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentIdSchema, formatZodError } from '@tether/shared';
import { ConfigError } from '../errors.js';
import { ConfigFileSchema, type AgentConfig, type ConfigFile } from './config-schema.js';
import type { CliFlags, Env } from './config-sources.js';
import { CREDENTIAL_FILE, readCredential } from '../credentials/credential-file.js';
import { resolveConfig } from './resolve-config.js';

/** Reads and validates a JSON or YAML config file; a ConfigError names the bad field and what was expected. */
export async function loadConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  // Loaded only when a config file is given (pnpm bench:footprint).
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON: one parser serves both
  } catch (err) {
    throw new ConfigError(`config file ${file} is neither JSON nor YAML: ${(err as Error).message}`);
  }
  const parsed = ConfigFileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(`invalid config file ${file}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Loads the config file named by `--config` or TETHER_CONFIG, if any, and the credential in the state dir (the
 * given one, else `./.tether/<id>` when the id is given), then resolves everything.
 */
export async function loadConfig(flags: CliFlags, env: Env, cwd = process.cwd()): Promise<AgentConfig> {
  const fileName = flags.config ?? env.TETHER_CONFIG;
  const file = fileName ? await loadConfigFile(path.resolve(cwd, fileName)) : undefined;
  const stateDir = flags.stateDir ?? env.TETHER_STATE_DIR ?? file?.stateDir;
  const id = flags.id ?? env.TETHER_ID ?? file?.id;
  const dir = stateDir ?? (id && AgentIdSchema.safeParse(id).success ? path.join('.tether', id) : undefined);
  const credential = dir === undefined ? undefined : await readCredential(path.resolve(cwd, dir));
  const controlPlane = flags.controlPlane ?? env.TETHER_CONTROL_PLANE ?? file?.controlPlane;
  if (stateDir !== undefined && credential === undefined && controlPlane === undefined)
    throw new ConfigError(
      `${path.resolve(cwd, stateDir)} holds no ${CREDENTIAL_FILE}: this agent never joined. Join first: ` +
        `tether-agent join <grant> --state-dir ${stateDir} (the grant "tether-cp grant create" prints), ` +
        'or pass --control-plane, --id and --secret',
    );
  return resolveConfig({ flags, env, cwd, ...(file ? { file } : {}), ...(credential ? { credential } : {}) });
}
