// The API's shapes, typed from the server's own zod schemas (type-only: nothing of zod reaches the bundle).
export type {
  AgentView,
  InstanceView,
  ServiceDetail,
  ServiceView,
  StatsEvent,
  StreamView,
  ReportView,
  Topology,
  TimedEvent,
  AuditPageView,
} from '../../src/api/api-schemas.js';
export type { ControlPlaneEvent, KeyedRoute } from '../../src/observability/event-bus.js';
export type { ServicePolicy } from '@tether/shared';

/** What `GET /api/v1/whoami` answers once bearer-token auth is there. */
export interface WhoAmI {
  token: { id: string; name: string; role: Role };
}

/** A token's role: admins change things, viewers look, callers only call services. */
export type Role = 'admin' | 'viewer' | 'caller';
