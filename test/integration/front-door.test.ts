import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intendedAccess, type IntendedAccess as Access } from '../helpers/access-oracle.js';
import { startEchoService, type EchoInfo, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { rawHttp } from '../helpers/raw-http.js';
import { createTokens, startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

type Role = 'anonymous' | 'viewer' | 'caller' | 'admin';

/** Who may do what, stated here apart from the server's code: the oracle of the property below. */
const ALLOWED: Record<Access, Role[]> = {
  public: ['anonymous', 'viewer', 'caller', 'admin'],
  identified: ['viewer', 'caller', 'admin'],
  read: ['viewer', 'admin'],
  call: ['caller', 'admin'],
  admin: ['admin'],
};

/** One documented operation of the API, from its OpenAPI document. */
interface Operation {
  method: string;
  path: string;
  access: Access;
}

/** A concrete path for an OpenAPI path template (`{id}` -> an existing agent, ...). */
function concrete(template: string): string {
  const values: Record<string, string> = { id: 'edge-1', name: 'edge-echo', path: 'x' };
  return template.replace(/\{([A-Za-z]+)\}/g, (_, k: string) => values[k] ?? 'x');
}

const hex = (ch: string, lower: boolean): string => {
  const h = ch.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? h : h.toUpperCase()}`;
};

/** Spellings of one path as an attacker would try them: escapes of any character in any case, dot segments, ... */
const spelling = (path: string) =>
  fc
    .record({
      encode: fc.array(fc.boolean(), { minLength: path.length, maxLength: path.length }),
      lower: fc.boolean(),
      trick: fc.constantFrom(
        'none',
        'dot',
        'dotdot',
        'encoded-dot',
        'double-slash',
        'trailing',
        'param',
        'backslash',
      ),
      at: fc.nat(),
    })
    .map(({ encode, lower, trick, at }) => {
      let out = [...path].map((ch, i) => (encode[i] && ch !== '/' ? hex(ch, lower) : ch)).join('');
      const slashes = [...out.matchAll(/\//g)].map((m) => m.index);
      const cut = slashes[at % slashes.length] ?? 0;
      const insert: Record<string, string> = {
        none: '',
        dot: '/.',
        dotdot: '/x/..',
        'encoded-dot': lower ? '/x/%2e%2e' : '/x/%2E%2E',
        'double-slash': '/',
        trailing: '',
        param: '',
        backslash: '\\..',
      };
      out = out.slice(0, cut) + (insert[trick] ?? '') + out.slice(cut);
      if (trick === 'trailing') out += '/';
      if (trick === 'param') out += ';p=1';
      return out;
    });

describe("the control plane's front door, attacked with raw bytes", () => {
  let cp: ControlPlane;
  let echo: EchoService;
  const tokens: Partial<Record<Role, string>> = {};
  let operations: Operation[] = [];

  const send = (role: Role, method: string, target: string) =>
    rawHttp(cp.apiBase, {
      method,
      target,
      headers: tokens[role] ? { authorization: `Bearer ${tokens[role]}` } : {},
    });

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane();
    const created = {
      ...(await createTokens(cp, 'viewer', ['dash'])),
      ...(await createTokens(cp, 'caller', ['app'])),
    };
    Object.assign(tokens, { viewer: created.dash.token, caller: created.app.token, admin: cp.token });
    const secret = await cp.addAgent('edge-1');
    await startEdge({ id: 'edge-1', secret, url: cp.mqttUrl, services: { 'edge-echo': echo.url } });
    await waitFor(
      async () =>
        (await cp.api<{ routes: unknown[] }>('/api/v1/routes?service=edge-echo')).body.routes.length === 1,
      'edge-echo route',
    );
    const doc = (await cp.api<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json'))
      .body;
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method, path, access: intendedAccess(method, path) })),
    );
  });
  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('routes and authorises a percent-encoded path as one: no anonymous or viewer read of admin data', async () => {
    const cases: [Role, string, number][] = [
      ['anonymous', '/%61pi/v1/tokens', 401],
      ['anonymous', '/%61pi/v1/agents', 401],
      ['anonymous', '/api/v1/%61udit', 401],
      ['anonymous', '/api/v1/%72eports', 401],
      ['anonymous', '/api/v1/r%6Futes', 401],
      ['anonymous', '/api/v1/%74opology', 401],
      ['viewer', '/api/v1/%74okens', 403],
      ['viewer', '/api/v1/%74%6F%6B%65%6E%73', 403],
      ['viewer', '/%61pi/v1/audit', 403],
      ['viewer', '/%61pi/v1/agents', 200],
      ['admin', '/%61pi/v1/%74okens', 200],
    ];
    for (const [role, target, status] of cases) {
      const res = await send(role, 'GET', target);
      expect(`${role} ${target} -> ${res.status}`).toBe(`${role} ${target} -> ${status}`);
      if (status >= 400)
        expect((JSON.parse(res.body) as { error: { code: unknown } }).error.code).toEqual(
          expect.any(String) as unknown,
        );
    }
  });

  it('refuses dot segments, encoded slashes, backslashes and control bytes with 400 before routing or auth', async () => {
    const before = echo.seen.length;
    const targets = [
      '/call/edge-echo/../../x',
      '/call/edge-echo/%2e%2e/%2e%2e/x',
      '/call/edge-echo/%2E%2e/x',
      '/call/edge-echo/.%2E/x',
      '/call/edge-echo/./x',
      '/call/edge-echo/..;/x',
      '/call/edge-echo/a%2Fb',
      '/call/edge-echo/a%2fb',
      '/call/edge-echo/a%5Cb',
      '/call/edge-echo\\..\\x',
      '/call/edge-echo/a%00b',
      '/call/edge-echo/%c0%ae%c0%ae/x',
      '/api/v1/agents/..%2Ftokens',
      '/api/v1/agents/../tokens',
      '//api/v1/tokens',
      '/api//v1/tokens',
    ];
    for (const role of ['anonymous', 'caller', 'admin'] as const)
      for (const target of targets) {
        const res = await send(role, 'GET', target);
        expect(`${role} ${target} -> ${res.status}`).toBe(`${role} ${target} -> 400`);
        expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('invalid_request');
      }
    expect(echo.seen.length).toBe(before);
  });

  it('serves the dashboard only at its own pages; any other path is a JSON 404, never the page', async () => {
    for (const target of ['/', '/agents', '/agents/edge-1', '/services/edge-echo', '/api', '/topology']) {
      const res = await send('anonymous', 'GET', target);
      expect(res.status, target).toBe(200);
      expect(res.headers['content-type'], target).toContain('text/html');
    }
    for (const target of ['/nope', '/agents/a/b', '/wp-login.php', '/api/v2/tokens', '/call', '/metrics/x']) {
      const res = await send('anonymous', 'GET', target);
      expect([401, 404], target).toContain(res.status);
      expect(res.headers['content-type'], target).toContain('application/json');
    }
  });

  it('property: no spelling of any protected route answers 2xx to a role without its right', async () => {
    const protectedOps = operations.filter((o) => o.access !== 'public');
    expect(protectedOps.length).toBeGreaterThan(20);
    const op = fc.constantFrom(...protectedOps);
    const role = fc.constantFrom<Role>('anonymous', 'viewer', 'caller');
    await fc.assert(
      fc.asyncProperty(
        op.chain((o) => fc.tuple(fc.constant(o), spelling(concrete(o.path)), role)),
        async ([o, target, who]) => {
          if (ALLOWED[o.access].includes(who)) return; // only those without the right are sent
          const method = o.method === 'get' && target.length % 2 === 0 ? 'HEAD' : o.method.toUpperCase();
          const res = await send(who, method, target);
          expect(res.status, `${who} ${method} ${target}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${who} ${method} ${target}`).toBeLessThan(500);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('property: what /call forwards is byte for byte what was authorised, and dot segments never pass', async () => {
    const piece = fc.constantFrom(
      'a',
      'B',
      '~',
      '-',
      '.',
      '..',
      '%2e',
      '%2E',
      '%41',
      '%20',
      '%C3%A9',
      ';',
      '=',
      '@',
      ':',
      '%25',
    );
    const segment = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), async (segments) => {
        const suffix = `/${segments.join('/')}`;
        const decoded = segments.map((s) => decodeURIComponent(s));
        const dotted = decoded.some((s) => s.split(';')[0] === '.' || s.split(';')[0] === '..');
        const res = await send('caller', 'GET', `/call/edge-echo${suffix}`);
        if (dotted) {
          expect(res.status, suffix).toBe(400);
          return;
        }
        expect(res.status, suffix).toBe(200);
        const seen = JSON.parse(res.headers['x-echo-info'] ?? '{}') as EchoInfo;
        expect(
          seen.url
            .split('/')
            .slice(1)
            .map((s) => decodeURIComponent(s)),
          suffix,
        ).toEqual(decoded);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the caller identity: an anonymous /call is refused, a caller is named at the edge', async () => {
    expect((await send('anonymous', 'GET', '/call/edge-echo/x')).status).toBe(401);
    expect((await send('viewer', 'GET', '/call/edge-echo/x')).status).toBe(403);
    const res = await send('caller', 'GET', '/call/edge-echo/x');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.headers['x-echo-info']!) as EchoInfo).headers['x-tether-caller']).toBe(
      'central:app',
    );
  });
});
