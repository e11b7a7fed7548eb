/** @tether/control-plane: the embedded broker, SQLite route store and HTTP API of Tether's hub. */
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
export { SqliteRouteTable } from './store/sqlite-route-table.js';
export { AgentStore, type AgentRecord } from './store/agent-store.js';
export { ServiceStore, type ServiceRecord, type ServiceSource } from './store/service-store.js';
export { openDatabase } from './db/open-database.js';
export { migrate, MIGRATIONS, type Migration } from './db/migrations.js';
export { AedesTransport } from './aedes-transport.js';
export { EventBus, type ControlPlaneEvent, type KeyedRoute } from './event-bus.js';
export { Metrics } from './metrics.js';
export { StaleSweeper, type StaleSweeperOptions } from './stale-sweeper.js';
export { registerAgent, type NewAgent } from './register-agent.js';
export { generateSecret, hashSecret, verifySecret } from './secrets.js';
export { loadConfig, parseConfig, ConfigError, ConfigFileSchema, type ConfigFile } from './config.js';
export { createLogger, type Logger } from './logger.js';
export type { AgentView, ServiceView } from './http/views.js';
