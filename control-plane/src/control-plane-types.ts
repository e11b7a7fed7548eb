import type { Aedes } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Hono } from 'hono';
import type { ListenerOptions, ListeningPorts } from './http/listeners.js';
import type { ApiRoute } from './http/routes/api-route.js';
import type { CentralService, Clock, ServicePolicy, StreamLimits } from '@tether/shared';
import type { ListenerInput } from './api/listener-schemas.js';
import type { AuditLog } from './audit/audit-log.js';
import type { TokenStore } from './auth/token-store.js';
import type { BrokerLimitsOverride } from './broker/limits.js';
import type { EventBus } from './observability/event-bus.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { ReportFeed } from './reports/report-feed.js';
import type { RetentionPolicy } from './reports/report-retention.js';
import type { ReportStore } from './reports/report-store.js';
import type { SqliteRouteTable } from './store/sqlite-route-table.js';

/** Options of `startControlPlane`. Ports default to 1883/8080 (8883 for mqtts); 0 picks a free port. */
export interface ControlPlaneOptions extends ListenerOptions {
  dataDir: string;
  /** MQTT URLs handed to enrolling agents (default: this server's listeners at the host name the agent used). */
  publicMqttUrls?: string[];
  /** How long routes stay stale before deletion, in ms (default 5 minutes). */
  staleGraceMs?: number;
  /** How often the stale sweeper runs, in ms. */
  sweepIntervalMs?: number;
  /** The site stamped on central routes (default "central"). */
  site?: string;
  /** Central services from the config file. */
  services?: CentralService[];
  /** Route selection policies from the config file, by service name. */
  policies?: Record<string, ServicePolicy>;
  /** Request body limit of calls through the network, in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** TCP listeners from the config file (they replace the config listeners stored before). */
  listeners?: ListenerInput[];
  /** Streams per agent tunnel and bytes in flight per stream (config `limits.agentStreams`, `limits.streamWindow`). */
  streamLimits?: Partial<StreamLimits>;
  logger?: Logger;
  logLevel?: string;
  clock?: Clock;
  /** Report retention (default: keep everything). */
  retention?: RetentionPolicy;
  /** How often retention runs, in ms (default 60 s). */
  retentionIntervalMs?: number;
  /** The highest protocol version to speak on agents' report topics (config `reports.protocol`; default newest). */
  reportProtocol?: number;
  /** Abuse limits of the broker (defaults: DEFAULT_BROKER_LIMITS). */
  limits?: BrokerLimitsOverride;
  /** Create an admin token in `DATA_DIR/admin-token` when none exists (default true). */
  bootstrapToken?: boolean;
  /** How often the `stats` event goes out while someone watches `/api/v1/events`, in ms (default 2 s). */
  statsIntervalMs?: number;
  /** Join the cluster on this Redis (docs/cluster.md); without it, one embedded control plane. */
  redisUrl?: string;
  /** This replica's id in the cluster (default `replica-<random>`). */
  replicaId?: string;
}

/** The bound ports: `mqtt` (plain TCP) and `mqtts` only when listening. */
export type ControlPlanePorts = ListeningPorts;

/** A running control plane. */
export interface ControlPlane {
  ports: ControlPlanePorts;
  /** `sha256:<hex>` of the TLS certificate, when serving TLS. */
  fingerprint?: string;
  db: BetterSqlite3.Database;
  table: SqliteRouteTable;
  broker: Aedes;
  metrics: Metrics;
  bus: EventBus;
  reports: ReportStore;
  feed: ReportFeed;
  audit: AuditLog;
  tokens: TokenStore;
  /** The file holding the admin token created at this start, if one was. */
  bootstrapTokenFile: string | undefined;
  /** The HTTP port's route table: every route's method, path, access, schemas and handler. */
  routes: readonly ApiRoute[];
  /** The hono app serving the table's `serve: 'hono'` routes. */
  app: Hono;
  /** Closes listeners, broker and database. Idempotent. */
  close(): Promise<void>;
}
