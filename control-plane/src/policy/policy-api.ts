import type { Context, Hono } from 'hono';
import {
  DEFAULT_POLICY,
  formatZodError,
  NotFoundError,
  ServiceNameSchema,
  ServicePolicySchema,
  ValidationError,
  type Clock,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../event-bus.js';
import type { PolicyStore } from './policy-store.js';
import { serviceDetail, type ServiceDetailDeps } from './service-detail.js';

/** What the policy endpoints read and write. */
export interface PolicyApiDeps extends ServiceDetailDeps {
  policies: PolicyStore;
  clock: Clock;
  audit: AuditLog;
  /** Who made a request, for the audit log. */
  actor(c: Context): string;
  /** Told `policy-updated` after each change. */
  bus: EventBus;
}

function serviceName(c: Context): string {
  const parsed = ServiceNameSchema.safeParse(c.req.param('name'));
  if (!parsed.success) throw new ValidationError(`invalid service name: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * `GET /api/v1/services/:name` (policy, instances, health), `PUT /api/v1/services/:name/policy` (any service
 * name, central or edge; 400 naming the field) and `DELETE /api/v1/services/:name/policy` (back to defaults).
 */
export function registerPolicyRoutes(app: Hono, deps: PolicyApiDeps): void {
  app.get('/api/v1/services/:name', (c) => {
    const name = serviceName(c);
    const detail = serviceDetail(deps, name, deps.clock.now());
    if (!detail) throw new NotFoundError(`service "${name}" not found: no route and no policy`);
    return c.json(detail);
  });
  app.put('/api/v1/services/:name/policy', async (c) => {
    const name = serviceName(c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ValidationError('request body must be JSON');
    }
    const parsed = ServicePolicySchema.safeParse(body);
    if (!parsed.success) throw new ValidationError(`invalid policy: ${formatZodError(parsed.error)}`);
    const record = deps.audit.atomically(() => {
      deps.audit.record({
        kind: 'policy-set',
        actor: deps.actor(c),
        detail: { service: name, policy: parsed.data },
      });
      return deps.policies.set(name, parsed.data, 'api', deps.clock.now());
    });
    deps.bus.emit({
      type: 'policy-updated',
      service: name,
      policy: record.policy,
      policySource: record.source,
    });
    return c.json({ name, policy: record.policy, policySource: record.source });
  });
  app.delete('/api/v1/services/:name/policy', (c) => {
    const name = serviceName(c);
    const deleted = deps.audit.atomically(() => {
      if (!deps.policies.delete(name)) return false;
      deps.audit.record({ kind: 'policy-deleted', actor: deps.actor(c), detail: { service: name } });
      return true;
    });
    if (!deleted) throw new NotFoundError(`service "${name}" has no policy`);
    deps.bus.emit({ type: 'policy-updated', service: name, policy: DEFAULT_POLICY, policySource: 'default' });
    return c.body(null, 204);
  });
}
