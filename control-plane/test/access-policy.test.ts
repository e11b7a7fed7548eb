import { describe, expect, it } from 'vitest';
import { PUBLIC_ROUTES, requiredAccess, roleAllows, type Role } from '../src/auth/access-policy.js';

const may = (role: Role, method: string, path: string) => roleAllows(role, requiredAccess(method, path));

describe('access policy (roles)', () => {
  it('keeps probes, metrics, /mqtt, enrollment, the API document and the dashboard public, and nothing else', () => {
    for (const r of PUBLIC_ROUTES) expect(requiredAccess(r.method, r.path)).toBe('public');
    expect(requiredAccess('HEAD', '/healthz')).toBe('public');
    expect(requiredAccess('POST', '/healthz')).not.toBe('public');
    expect(requiredAccess('GET', '/api/v1/enroll')).not.toBe('public');
    // The dashboard's page and assets hold no data; everything under /api and /call still needs a token.
    for (const path of ['/', '/agents/a1', '/assets/index-abc.js'])
      expect(requiredAccess('GET', path)).toBe('public');
    expect(requiredAccess('POST', '/agents/a1')).toBe('admin');
    expect(requiredAccess('GET', '/api/v1/nope')).toBe('read');
    expect(requiredAccess('GET', '/api')).toBe('read');
    expect(requiredAccess('GET', '/call/svc/x')).toBe('call');
    expect(requiredAccess('GET', '/metrics/x')).toBe('read');
  });

  it('viewer reads, admin does everything, caller only calls', () => {
    expect(may('viewer', 'GET', '/api/v1/agents')).toBe(true);
    expect(may('viewer', 'POST', '/api/v1/agents')).toBe(false);
    expect(may('viewer', 'DELETE', '/api/v1/agents/a')).toBe(false);
    expect(may('viewer', 'GET', '/call/svc/x')).toBe(false);
    expect(may('viewer', 'GET', '/api/v1/audit')).toBe(false);
    expect(may('viewer', 'GET', '/api/v1/tokens')).toBe(false);
    expect(may('caller', 'POST', '/call/svc/x')).toBe(true);
    expect(may('caller', 'GET', '/api/v1/agents')).toBe(false);
    expect(may('admin', 'POST', '/call/svc/x')).toBe(true);
    expect(may('admin', 'GET', '/api/v1/audit')).toBe(true);
    expect(may('admin', 'PUT', '/api/v1/services/s/policy')).toBe(true);
    for (const role of ['admin', 'viewer', 'caller'] as const)
      expect(may(role, 'GET', '/api/v1/whoami')).toBe(true);
  });
});
