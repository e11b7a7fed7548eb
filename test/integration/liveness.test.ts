import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

type AgentView = { id: string; status: string; routeCount: number };
type RouteView = { key: string; service: string; origin: string; state: string };

describe('liveness and persistence', () => {
  afterAll(stopAll);

  it('kill -9 of an agent marks it offline within 2 s and its routes stale, not deleted', async () => {
    const cp = await startControlPlane();
    const edge = await startEdge({
      id: 'doomed',
      secret: await cp.addAgent('doomed'),
      url: cp.mqttUrl,
      services: { orders: 'http://127.0.0.1:18101', stock: 'http://127.0.0.1:18102' },
    });
    await waitFor(
      async () =>
        (await cp.api<{ routes: RouteView[] }>('/api/v1/routes?agent=doomed&state=active')).body.routes
          .length === 2,
      'both routes active',
    );
    await edge.proc.stop('SIGKILL');
    await waitFor(
      async () => (await cp.api<AgentView>('/api/v1/agents/doomed')).body.status === 'offline',
      'agent offline',
      { timeoutMs: 2_000, intervalMs: 20 },
    );
    const { body } = await cp.api<{ routes: RouteView[] }>('/api/v1/routes?agent=doomed');
    expect(body.routes.map((r) => [r.service, r.state])).toEqual([
      ['orders', 'stale'],
      ['stock', 'stale'],
    ]);
  });

  it('a control-plane restart keeps every route in the API, stale until each agent resumes', async () => {
    const cp = await startControlPlane();
    const mqttPort = Number(new URL(cp.mqttUrl).port);
    const edge = await startEdge({
      id: 'survivor',
      secret: await cp.addAgent('survivor'),
      url: cp.mqttUrl,
      services: { ledger: 'http://127.0.0.1:18201' },
    });
    await waitFor(
      async () =>
        (await cp.api<{ routes: RouteView[] }>('/api/v1/routes?agent=survivor&state=active')).body.routes
          .length === 1,
      'route active',
    );
    const before = (await cp.api<{ routes: RouteView[] }>('/api/v1/routes')).body.routes;

    // Freeze the agent so that it cannot redial before the "at once" checks below; it resumes afterwards.
    edge.proc.child.kill('SIGSTOP');
    await cp.proc.stop('SIGKILL');
    const again = await startControlPlane({ dataDir: cp.dataDir, args: ['--mqtt-port', String(mqttPort)] });
    // At once, before the agent is back: the same routes, marked stale.
    const after = (await again.api<{ routes: RouteView[] }>('/api/v1/routes')).body.routes;
    expect(after.map((r) => r.key).sort()).toEqual(before.map((r) => r.key).sort());
    expect(after.filter((r) => r.origin === 'survivor').every((r) => r.state === 'stale')).toBe(true);
    expect((await again.api<AgentView>('/api/v1/agents/survivor')).body.status).toBe('offline');

    edge.proc.child.kill('SIGCONT');
    // The agent dials the restarted control plane on its own and resyncs.
    await waitFor(
      async () => {
        const routes = (await again.api<{ routes: RouteView[] }>('/api/v1/routes?agent=survivor')).body
          .routes;
        return routes.length === 1 && routes[0]!.state === 'active';
      },
      'route active again after the agent reconnects',
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    expect((await again.api<AgentView>('/api/v1/agents/survivor')).body.status).toBe('online');
    // Unchanged, it resumed its epoch (protocol 3) instead of sending a snapshot.
    const metrics = await (await fetch(`${again.apiBase}/metrics`)).text();
    expect(metrics).toMatch(/^tether_messages_received_total\{type="advert-resume"\} 1$/m);
    expect(metrics).not.toMatch(/type="advert-snapshot"/);
    await edge.proc.stop();
  });

  it('an agent restarted while the control plane is down still knows the central routes', async () => {
    const cp = await startControlPlane({
      config: { services: [{ name: 'time', url: 'http://127.0.0.1:9100' }] },
    });
    const secret = await cp.addAgent('loner');
    const first = await startEdge({ id: 'loner', secret, url: cp.mqttUrl });
    await waitFor(
      async () =>
        (await first.api<{ routes: RouteView[] }>('/v1/routes')).body.routes.some(
          (r) => r.service === 'time',
        ),
      'central route received',
    );
    await cp.proc.stop('SIGKILL');
    await first.proc.stop();
    const second = await startEdge({ id: 'loner', secret, url: cp.mqttUrl, stateDir: first.stateDir });
    const routes = (await second.api<{ routes: RouteView[] }>('/v1/routes')).body.routes;
    expect(routes.filter((r) => r.origin === 'central').map((r) => r.service)).toEqual(['time']);
  });
});
