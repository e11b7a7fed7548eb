import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advertTopic, encode, inboxTopic, PROTOCOL_VERSION } from '@tether/shared';
import { counter } from '../helpers/cli.js';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { AGENT_BIN, CP_BIN, runNode, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { http, startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface AgentView {
  status: string;
  strategy: string | null;
  fixedStrategy: string | null;
}

// Issue 12, item 7: the hub holds an agent to the strategy a grant or `agent add` fixed, whatever it declares, and
// no longer takes the word of a snapshot that declares `none` yet carries routes.
describe('hub-enforced strategy', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  const routesOf = async (agent: string) =>
    (await cp.api<{ routes: unknown[] }>(`/api/v1/routes?agent=${agent}`)).body.routes;
  const view = async (agent: string) => (await cp.api<AgentView>(`/api/v1/agents/${agent}`)).body;
  /** Runs `tether-cp <args> --data-dir <the control plane's>` (with the server up) and parses the line it printed. */
  const cpCommand = async <T>(...args: string[]): Promise<T> => {
    const res = await runNode([CP_BIN, ...args, '--data-dir', cp.dataDir]);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as T;
  };
  /** Waits until the agent logged the hub's refusal of its routes (so its snapshot was handled). */
  const refusedAt = (edge: Edge) =>
    waitFor(
      () => edge.proc.stderr().includes('routes_refused'),
      `${edge.id} to be told its routes were refused`,
    );

  it('agents added with --strategy none (CLI) or {"strategy":"none"} (API) advertise routes: none is stored', async () => {
    const { secret } = await cpCommand<{ secret: string }>('agent', 'add', 'sensor-1', '--strategy', 'none');
    const viaApi = await cp.api<{ secret: string }>('/api/v1/agents', {
      method: 'POST',
      body: JSON.stringify({ id: 'sensor-2', strategy: 'none' }),
    });
    expect(viaApi.status).toBe(201);
    const services = { telemetry: 'http://127.0.0.1:18002', metrics: 'http://127.0.0.1:18003' };
    const edges = await Promise.all(
      [
        { id: 'sensor-1', secret },
        { id: 'sensor-2', secret: viaApi.body.secret },
      ].map((a) => startEdge({ ...a, url: cp.mqttUrl, strategy: 'local', services })),
    );
    for (const edge of edges) {
      await refusedAt(edge);
      expect(await routesOf(edge.id)).toEqual([]);
      expect(await view(edge.id)).toMatchObject({
        status: 'online',
        strategy: 'local',
        fixedStrategy: 'none',
      });
    }
    const metrics = await (await cp.fetch('/metrics')).text();
    expect(counter(metrics, 'tether_refused_routes_total', 'fixed_none')).toBeGreaterThanOrEqual(4);
    const audit = await cp.api<{ entries: { agentId: string }[] }>('/api/v1/audit?kind=routes-refused');
    expect(audit.body.entries.map((e) => e.agentId).sort()).toEqual(['sensor-1', 'sensor-2']);
  });

  it('an agent declaring none in its snapshot has none of its routes stored', async () => {
    const secret = await cp.addAgent('liar');
    const connected = await connectRaw(cp.mqttUrl, 'liar', secret);
    if (!connected.ok) throw new Error(connected.error);
    const { client } = connected;
    const inbox: { type: string; code?: string }[] = [];
    client.on('message', (_t, payload) => inbox.push(JSON.parse(payload.toString()) as { type: string }));
    await client.subscribeAsync(inboxTopic('liar'), { qos: 1 });
    const route = {
      service: 'orders',
      address: 'http://10.0.0.9:8080',
      origin: 'liar',
      originKind: 'local',
      site: 's',
      labels: {},
      metric: 1,
      state: 'active',
      version: 1,
    };
    const snapshot = { v: PROTOCOL_VERSION, type: 'advert-snapshot', epoch: 'e1', seq: 0, strategy: 'none' };
    const sent = await publishRaw(
      client,
      advertTopic('liar'),
      encode({ ...snapshot, site: 's', labels: {}, routes: [route] }),
    );
    expect(sent).toBeUndefined();
    await waitFor(() => inbox.some((m) => m.type === 'agent-routes'), 'the snapshot to be handled');
    expect(inbox.find((m) => m.type === 'error')).toMatchObject({ code: 'routes_refused' });
    expect(await routesOf('liar')).toEqual([]);
    expect((await view('liar')).strategy).toBe('none');
    await client.endAsync();
  });

  it('an agent enrolled with a grant fixing none learns it from the enrollment answer and runs with it', async () => {
    const { grant } = await cpCommand<{ grant: string }>('grant', 'create', '--strategy', 'none');
    const stateDir = join(tempDir('tether-agent-fixed-'), 'state');
    const enroll = ['enroll', '--control-plane', cp.apiBase, '--grant', grant, '--state-dir', stateDir];
    const enrolled = await runNode([AGENT_BIN, ...enroll, '--id', 'meter-1']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(JSON.parse(enrolled.stdout)).toMatchObject({ id: 'meter-1', strategy: 'none' });
    const credential = JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')) as {
      strategy?: string;
    };
    expect(credential.strategy).toBe('none');

    const run = [
      'run',
      '--state-dir',
      stateDir,
      '--api-port',
      '0',
      '--service',
      'orders=http://127.0.0.1:18004',
    ];
    // A contradicting --strategy is refused at start, saying what to do.
    const contradicted = await runNode([AGENT_BIN, ...run, '--strategy', 'local'], {}, 15_000);
    expect(contradicted.code).toBe(2);
    expect(contradicted.stderr).toContain('fixed this agent\'s strategy to "none" at enrollment');

    const agent = await spawnNode([AGENT_BIN, ...run]);
    const status = await http<{ strategy: string }>(`http://127.0.0.1:${agent.ready.api}`, '/v1/status');
    expect(status.body.strategy).toBe('none');
    await waitFor(async () => (await view('meter-1')).status === 'online', 'meter-1 online');
    await waitFor(async () => (await view('meter-1')).strategy === 'none', "meter-1's snapshot");
    expect(await view('meter-1')).toMatchObject({ fixedStrategy: 'none' });
    expect(await routesOf('meter-1')).toEqual([]);
    expect(agent.stderr()).not.toContain('routes_refused'); // it complies: nothing to refuse
  });
});
