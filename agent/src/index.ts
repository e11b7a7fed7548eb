export { startAgent, type AgentHandle } from './agent.js';
export type { StartAgentOptions } from './config/agent-options.js';
export { MqttTransport } from './link/mqtt-transport.js';
export type {
  ConnectionState,
  ConnectionStats,
  MqttTransportOptions,
  TransportLogger,
  WillMessage,
} from './link/mqtt-transport-types.js';
export {
  ReconnectScheduler,
  BUSY_BACKOFF,
  RECONNECT_BACKOFF,
  AUTH_BACKOFF,
  type CloseReason,
  type ReconnectSchedulerOptions,
} from './link/reconnect-scheduler.js';
export { resolveConfig } from './config/resolve-config.js';
export { loadConfig, loadConfigFile } from './config/load-config.js';
export { CONFIG_DEFAULTS, type CliFlags, type ConfigSources, type Env } from './config/config-sources.js';
export { ConfigError } from './errors.js';
export { normalizeControlPlaneUrl, CONTROL_PLANE_SCHEMES } from './link/control-plane-url.js';
export { ConfigFileSchema, type AgentConfig, type ConfigFile } from './config/config-schema.js';
export {
  ServiceInputSchema,
  type HealthCheckSpec,
  type ServiceInput,
  type ServiceSource,
  type ServiceSpec,
} from './services/service-input.js';
export { toServiceSpec, HEALTH_CHECK_DEFAULTS } from './services/service-spec.js';
export type { AgentStatusView, ApiBackend } from './api/api-routes.js';
export { ServiceRegistry, type ServiceView } from './services/service-registry.js';
export type { RouteSource, SourceChange, SourceWatchHandlers } from './sources/route-source.js';
export {
  SourceRunner,
  SOURCE_BACKOFF,
  type SourcePhase,
  type SourceSink,
  type SourceStatus,
} from './sources/source-runner.js';
export { parseSourceUrl, SOURCE_DEFAULTS, MICRO_PREFIX, type SourceConfig } from './sources/source-url.js';
export { StaticSource, STATIC_SOURCE } from './sources/static-source.js';
export { openSource } from './registries/open-source.js';
export { ADVERT_PACING, type AdvertPacing } from './sync/advert-pacer.js';
export { SourceUnreachableError } from './errors.js';
export { AGENT_VERSION } from './version.js';
export { Outbox } from './reports/outbox.js';
export type {
  OutboxLimits,
  OutboxOptions,
  OutboxStats,
  NewReport,
  OverflowPolicy,
} from './reports/outbox-types.js';
export { ReportForwarder, type ForwarderOptions } from './reports/forwarder.js';
export { OutboxFullError, ReportTooLargeError } from './reports/outbox-errors.js';
export { loadNativeAddon, ownedAddonCopy, sqliteAddonSource, type AddonSource } from './native-binding.js';
export {
  buildTlsPlan,
  describeCertificateError,
  PIN_MISMATCH,
  type TlsPlan,
  type TlsTrust,
  type TlsMode,
  type TlsSettings,
} from './link/tls/tls-plan.js';
export {
  CREDENTIAL_FILE,
  CredentialSchema,
  failoverList,
  readCredential,
  writeCredential,
  rotatedCredential,
  secretDigest,
  type Credential,
} from './credentials/credential-file.js';
export {
  CredentialKeeper,
  type CredentialLink,
  type CredentialKeeperOptions,
} from './credentials/credential-keeper.js';
export { enroll, EnrollmentError, type EnrollFlags, type EnrollResult } from './cli/enroll/enroll-command.js';
