export { startAgent, type AgentHandle } from './agent.js';
export type { StartAgentOptions } from './agent-options.js';
export { MqttTransport } from './mqtt-transport.js';
export type {
  ConnectionState,
  ConnectionStats,
  MqttTransportOptions,
  TransportLogger,
  WillMessage,
} from './mqtt-transport-types.js';
export {
  ReconnectScheduler,
  RECONNECT_BACKOFF,
  AUTH_BACKOFF,
  type CloseReason,
  type ReconnectSchedulerOptions,
} from './reconnect-scheduler.js';
export { resolveConfig } from './resolve-config.js';
export { loadConfig, loadConfigFile } from './load-config.js';
export { CONFIG_DEFAULTS, type CliFlags, type ConfigSources, type Env } from './config-sources.js';
export { ConfigError } from './config-error.js';
export { normalizeControlPlaneUrl, CONTROL_PLANE_SCHEMES } from './control-plane-url.js';
export {
  ConfigFileSchema,
  ServiceInputSchema,
  type AgentConfig,
  type ConfigFile,
  type HealthCheckSpec,
  type ServiceInput,
  type ServiceSource,
  type ServiceSpec,
} from './config-schema.js';
export { toServiceSpec, HEALTH_CHECK_DEFAULTS } from './service-spec.js';
export type { AgentStatusView, ApiBackend } from './api.js';
export type { ServiceView } from './service-registry.js';
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
export { sqliteNativeBinding } from './native-binding.js';
export {
  buildTlsPlan,
  describeCertificateError,
  PIN_MISMATCH,
  type TlsPlan,
  type TlsTrust,
  type TlsMode,
} from './tls/tls-plan.js';
export type { TlsSettings } from './config-schema.js';
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
export { enroll, EnrollmentError, type EnrollFlags, type EnrollResult } from './enroll/enroll-command.js';
