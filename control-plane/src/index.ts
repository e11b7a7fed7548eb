/** @tether/control-plane: the embedded broker, SQLite route store and HTTP API of Tether's hub. */
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
export { SqliteRouteTable } from './store/sqlite-route-table.js';
export { AgentStore, type AgentRecord } from './store/agent-store.js';
export { ServiceStore, type ServiceRecord, type ServiceSource } from './store/service-store.js';
export { openDatabase } from './db/open-database.js';
export { countWrites, UncountedDatabaseError } from './db/write-count.js';
export { migrate, MIGRATIONS, type Migration } from './db/migrations.js';
export { AedesTransport } from './broker/aedes-transport.js';
export { AgentSocketWriter } from './broker/agent-socket-writer.js';
export { LocalFirstEmitter } from './broker/local-first-emitter.js';
export { openRedisFabric, type RedisFabric } from './cluster/redis-fabric.js';
export { skipRetainedLookups } from './broker/retained-lookups.js';
export { EventBus, type ControlPlaneEvent, type KeyedRoute } from './observability/event-bus.js';
export { Metrics } from './observability/metrics.js';
export { StaleSweeper, type StaleSweeperOptions } from './agents/sync/stale-sweeper.js';
export { registerAgent, type NewAgent } from './agents/registration/register-agent.js';
export { generateSecret, hashSecret, verifySecret } from './auth/secrets.js';
export {
  loadConfig,
  parseConfig,
  ConfigError,
  ConfigFileSchema,
  type ConfigFile,
} from './cli/config-file.js';
export { createLogger, type Logger } from './observability/logger.js';
export { PolicyStore, type PolicyRecord, type PolicySource } from './policy/policy-store.js';
export type { RoutePicker, CallerInfo, CallOutcome } from './calls/route-picker.js';
export { FirstActiveRoutePicker } from './calls/first-active-route-picker.js';
export { parseSize } from './calls/parse-size.js';
export { openApiDocument, openApiPath } from './http/openapi.js';
export type { ApiRoute } from './http/routes/api-route.js';
export { DASHBOARD_PAGES, type DashboardPage } from './api/dashboard-pages.js';
export * from './api/api-schemas.js';
