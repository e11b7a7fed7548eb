import type { AdvertiseStrategy, BackoffOptions, Clock, Labels } from '@tether/shared';
import type { ApiSettings } from '../api/api-settings.js';
import type { ServiceInput, ServiceSpec } from '../services/service-input.js';
import type { ListenSpec } from '../calls/listen-spec.js';
import type { TlsSettings } from '../link/tls/tls-plan.js';
import type { UplinkSettings } from './config-schema.js';
import type { Credential } from '../credentials/credential-file.js';
import type { StagedBuild } from '../upgrades/upgrade-receiver.js';
import type { AgentLogger, LogLevel } from '../observability/logger.js';
import type { OutboxLimits } from '../reports/outbox-types.js';
import type { SourceConfig } from '../sources/source-url.js';
import type { AdvertPacing } from '../sync/advert-pacer.js';

/** Options of `startAgent`: the resolved config (only controlPlane, id and secret required) plus injections. */
export interface StartAgentOptions {
  controlPlane: string;
  /** Every control-plane URL (replicas, docs/cluster.md); attempts go round them in order (give agents different orders to spread them). */
  controlPlanes?: string[];
  id: string;
  secret: string;
  strategy?: AdvertiseStrategy;
  site?: string;
  labels?: Labels;
  /** Resolved specs (with `source`) or plain inputs as in a config file (source `config`). */
  services?: Array<ServiceSpec | ServiceInput>;
  /** Registries to import from (parsed `--source` URLs), in precedence order after the static services. */
  sources?: SourceConfig[];
  /** Advert pacing (default ADVERT_PACING: 5 ms coalescing, 10 messages/s, bursts of 50). */
  advertPacing?: AdvertPacing;
  /** Local ports forwarding each connection to a TCP service through the hub (default none). */
  listen?: ListenSpec[];
  /** The local API: where it listens and whom it serves (default 127.0.0.1:7070, loopback only, no token). */
  api?: Partial<ApiSettings>;
  /** Default `./.tether/<id>`. */
  stateDir?: string;
  digestIntervalMs?: number;
  logLevel?: LogLevel;
  logger?: AgentLogger;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  authBackoff?: BackoffOptions;
  /** Debounce of route-cache writes (default 200 ms). */
  cacheDebounceMs?: number;
  /** Limits of the report outbox (default 256 MiB, 7 days, refuse). */
  outbox?: Partial<OutboxLimits>;
  /** The report uplink: a rate cap in bytes/s on the wire and per-stream priorities (default: none). */
  uplink?: Partial<UplinkSettings>;
  /** Verification of mqtts:// and wss:// (default: the system CAs). */
  tls?: Partial<TlsSettings>;
  /** The state dir's credential the agent runs from, if any: rotations update it (else one is written). */
  credential?: Credential;
  /** Fleet upgrades from the hub (docs/upgrades.md): without it, offers are refused as not set up. */
  upgrades?: AgentUpgradeOptions;
}

/** How this process takes a new build: the file it replaces, and the CLI's hand-over once one is verified. */
export interface AgentUpgradeOptions {
  /** The running build's file (the executable or the bundle). */
  buildFile: string;
  /** This process is the new build of that upgrade (TETHER_UPGRADE_ID from the previous build). */
  justUpgraded?: string | undefined;
  onStaged: (build: StagedBuild) => void;
  onReported?: (() => void) | undefined;
}

/** Default limits of the report outbox. */
export const OUTBOX_DEFAULTS: OutboxLimits = {
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 7 * 86_400_000,
  overflow: 'refuse',
};
