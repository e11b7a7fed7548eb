import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows, type Access, type Role } from '../src/auth/access-policy.js';
import { DASHBOARD_PAGES, type ApiRoute, type ControlPlane } from '../src/index.js';
import { intendedAccess } from '../../test/helpers/access-oracle.js';
import { startTestControlPlane } from './helpers.js';

/** The intended policy (test/helpers/access-oracle.ts), plus the dashboard's pages and files: public. */
function intended(route: ApiRoute): Access {
  return route.tag === 'dashboard' ? 'public' : intendedAccess(route.method, route.path);
}

describe('the route table’s access rules', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ cp, stop } = await startTestControlPlane()));
  afterAll(() => stop());

  it('every route needs what the policy intends: probes, enrollment, /mqtt and the dashboard public, the rest a role', () => {
    expect(cp.routes.length).toBeGreaterThan(30);
    const wrong = cp.routes
      .filter((r) => r.access !== intended(r))
      .map((r) => `${r.method} ${r.path}: ${r.access}, intended ${intended(r)}`);
    expect(wrong).toEqual([]);
  });

  it('serves the dashboard at its own pages only, each once', () => {
    const pages = cp.routes.filter((r) => r.tag === 'dashboard' && !r.path.includes('.')).map((r) => r.path);
    expect(pages.sort()).toEqual([...DASHBOARD_PAGES].sort());
    const keys = cp.routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('roles', () => {
  const table: [Access, Role[]][] = [
    ['public', ['admin', 'viewer', 'caller']],
    ['identified', ['admin', 'viewer', 'caller']],
    ['read', ['admin', 'viewer']],
    ['call', ['admin', 'caller']],
    ['admin', ['admin']],
  ];
  it.each(table)('%s is open to %j only', (access, roles) => {
    for (const role of ['admin', 'viewer', 'caller'] as const)
      expect(roleAllows(role, access)).toBe(roles.includes(role));
  });
});
