import { API_DEFAULTS, type ApiFlags } from '../api/api-settings.js';
import type { ConfigFile } from './config-schema.js';
import type { Credential } from '../credentials/credential-file.js';

/** The `run` command's flags as commander hands them over (strings; repeatable flags as arrays). */
export interface CliFlags extends ApiFlags {
  controlPlane?: string | string[];
  id?: string;
  secret?: string;
  strategy?: string;
  site?: string;
  label?: string[];
  service?: string[];
  /** Registry URLs, repeatable. */
  source?: string[];
  /** `NAME=[HOST:]PORT`, repeatable: local ports forwarding to TCP services through the hub. */
  listen?: string[];
  stateDir?: string;
  config?: string;
  digestInterval?: string;
  logLevel?: string;
  logFormat?: string;
  outboxMaxBytes?: string;
  outboxMaxAge?: string;
  outboxOverflow?: string;
  /** `stream=priority` lists, repeatable (`alarms=high,metrics=low`). */
  streamPriority?: string[];
  uplinkMaxRate?: string;
  caFile?: string;
  fingerprint?: string;
  insecure?: boolean;
}

/** Environment variables as a plain record (process.env in production). */
export type Env = Record<string, string | undefined>;

/** Everything the configuration is made from. Precedence: flags > env > file > defaults. */
export interface ConfigSources {
  flags: CliFlags;
  env: Env;
  file?: ConfigFile;
  /** The credential found in the state dir (`tether-agent enroll`, rotations): below the config file. */
  credential?: Credential;
  /** Base of the default state dir (`./.tether/<id>`); default process.cwd(). */
  cwd?: string;
}

/** Defaults of every optional setting. */
export const CONFIG_DEFAULTS = {
  strategy: 'local',
  site: 'default',
  apiHost: API_DEFAULTS.host,
  apiPort: API_DEFAULTS.port,
  digestInterval: '30s',
  logLevel: 'info',
  logFormat: 'auto',
  outboxMaxBytes: '256MiB',
  outboxMaxAge: '7d',
  outboxOverflow: 'refuse',
} as const;
