import { afterAll, describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../bench/sim-agents.js';
import { listAll } from '../helpers/pages.js';
import { stopAll } from '../helpers/processes.js';
import { callWorker, forkSimWorker, RAW_CAPACITY } from '../helpers/sim-workers.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

const STEADY = 60;
const JOINING = 30;
const REVOKED = 10;
const SERVICES = 4;
// Raw capacity: neither connection rate limits the fleet (their own tests cover them).
const config = RAW_CAPACITY;

interface Row {
  key: string;
  origin: string;
}
interface ServiceRow {
  name: string;
  central: { name: string } | null;
  instances: { active: number; stale: number };
  sites: string[];
}
interface Page {
  nextCursor: string | null;
  [list: string]: unknown;
}

/** Walks a listing `limit` rows a page, calling `between` after each page; the rows' keys in the order seen. */
async function walk(
  cp: ControlPlane,
  path: string,
  list: string,
  key: (row: Record<string, string>) => string,
  between: (page: number) => Promise<void>,
): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 500; page++) {
    const at: string = `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await cp.api<Page>(at);
    expect(res.status).toBe(200);
    keys.push(...(res.body[list] as Record<string, string>[]).map(key));
    cursor = res.body.nextCursor;
    if (cursor === null) return keys;
    await between(page);
  }
  throw new Error(`${path}: no end after 500 pages`);
}

const central = (name: string): string => JSON.stringify({ name, url: 'http://127.0.0.1:9' });
const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

describe('paged reads of a real control plane', () => {
  const worker = forkSimWorker();
  afterAll(async () => {
    worker.kill('SIGKILL');
    await stopAll();
  });
  const call = (msg: ToWorker, until: FromWorker['evt']) => callWorker(worker, msg, until);

  it('pages routes and agents while agents join and are revoked: no unchanged row lost or repeated', async () => {
    const cp = await startControlPlane({ config });
    const register = (list: string[]) =>
      Promise.all(list.map(async (id) => ({ id, secret: await cp.addAgent(id) })));
    const steady = await register(ids('steady', STEADY));
    const joining = await register(ids('joining', JOINING));
    await call(
      { cmd: 'connect', url: cp.mqttUrl, agents: steady, services: SERVICES, withRoutes: true },
      'connected',
    );
    const before = await waitFor(async () => {
      const rows = await listAll<Row>(cp, '/api/v1/routes?state=active', 'routes');
      return rows.length === STEADY * SERVICES && rows;
    }, 'every steady route active');
    const revoked = new Set(ids('steady', REVOKED));
    const unchanged = before.filter((r) => !revoked.has(r.origin)).map((r) => r.key);

    // Meanwhile: new agents add routes all over the key space, and revoked ones withdraw theirs.
    let joined: Promise<unknown> = Promise.resolve();
    const change = async (page: number): Promise<void> => {
      if (page === 1)
        joined = call(
          { cmd: 'connect', url: cp.mqttUrl, agents: joining, services: SERVICES, withRoutes: true },
          'connected',
        );
      if (page >= 2 && page < 2 + REVOKED) {
        const id = [...revoked][page - 2]!;
        expect((await cp.api(`/api/v1/agents/${id}`, { method: 'DELETE' })).status).toBe(200);
      }
      await sleep(15);
    };
    const seen = await walk(cp, '/api/v1/routes?limit=13', 'routes', (r) => r.key!, change);
    await joined;

    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    expect([...seen].sort()).toEqual(seen); // in key order
    const once = new Set(seen);
    expect(unchanged.filter((k) => !once.has(k))).toEqual([]); // no unchanged row lost
    // The changes did happen during the walk: joined routes exist now, revoked ones are gone.
    const after = await listAll<Row>(cp, '/api/v1/routes', 'routes');
    expect(after.some((r) => r.origin.startsWith('joining-'))).toBe(true);
    expect(after.filter((r) => revoked.has(r.origin))).toEqual([]);

    // Agents by id, filtered server-side, while the steady ones go on being revoked.
    const agentIds = await walk(
      cp,
      '/api/v1/agents?limit=9&status=online',
      'agents',
      (a) => a.id!,
      async () => {
        await cp.api(`/api/v1/agents/steady-059`, { method: 'DELETE' });
      },
    );
    expect(new Set(agentIds).size).toBe(agentIds.length);
    for (const id of ids('steady', STEADY).slice(REVOKED, STEADY - 1)) expect(agentIds).toContain(id);
    const revokedPage = await cp.api<{ agents: { id: string }[] }>('/api/v1/agents?state=revoked&limit=1000');
    expect(revokedPage.body.agents.map((a) => a.id)).toEqual([...revoked, 'steady-059']);

    // Services a page at a time, with a central one among them: each service once, counted, never listed whole.
    expect((await cp.api('/api/v1/services', { method: 'POST', body: central('svc-1a') })).status).toBe(201);
    const services = await listAll<ServiceRow>(cp, '/api/v1/services?limit=2', 'services');
    expect(services.map((s) => s.name)).toEqual(['svc-0', 'svc-1', 'svc-1a', 'svc-2', 'svc-3']);
    const online = STEADY + JOINING - REVOKED - 1;
    expect(services.find((s) => s.name === 'svc-2')).toMatchObject({
      central: null,
      instances: { active: online, stale: 0 },
      sites: ['sim'],
    });
    expect(services.find((s) => s.name === 'svc-1a')).toMatchObject({
      central: { name: 'svc-1a' },
      instances: { active: 1, stale: 0 },
      sites: ['central'],
    });
  });

  it('answers a bad cursor or limit with a 400 that says what to do, and changes nothing', async () => {
    const cp = await startControlPlane({ config });
    await cp.addAgent('lonely');
    const agentsCursor = (await cp.api<Page>('/api/v1/agents?limit=1')).body;
    await cp.addAgent('lonelier');
    const next = (await cp.api<Page>('/api/v1/agents?limit=1')).body.nextCursor;
    expect(next).toEqual(expect.any(String));
    expect(agentsCursor.agents).toHaveLength(1);
    const bad: [string, RegExp][] = [
      ['/api/v1/routes?cursor=not%20a%20cursor', /invalid cursor.*nextCursor/],
      [`/api/v1/routes?cursor=${next!}`, /invalid cursor: not one of GET \/api\/v1\/routes/],
      ['/api/v1/agents?cursor=e30', /invalid cursor/],
      ['/api/v1/routes?limit=0', /invalid limit 0: expected 1-1000/],
      ['/api/v1/agents?limit=1001', /invalid limit 1001/],
      ['/api/v1/topology?limit=abc', /invalid limit "abc"/],
      ['/api/v1/services?limit=0', /invalid limit 0/],
      [`/api/v1/services?cursor=${next!}`, /invalid cursor: not one of GET \/api\/v1\/services/],
      ['/api/v1/services?page=2', /page/],
      ['/api/v1/agents?state=sleepy', /state/],
    ];
    for (const [path, message] of bad) {
      const res = await cp.api<{ error: { code: string; message: string } }>(path);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.error.message).toMatch(message);
    }
    const all = await listAll<{ id: string }>(cp, '/api/v1/agents', 'agents');
    expect(all.map((a) => a.id)).toEqual(['lonelier', 'lonely']);
    const topo = await cp.api<{ edges: unknown[]; nextCursor: string | null }>('/api/v1/topology?limit=1');
    expect(topo.body.edges).toHaveLength(1);
    const rest = await cp.api<{ edges: { id: string }[]; nextCursor: string | null }>(
      `/api/v1/topology?limit=1&cursor=${topo.body.nextCursor!}`,
    );
    expect([rest.body.edges.map((e) => e.id), rest.body.nextCursor]).toEqual([['lonely'], null]);
  });
});
