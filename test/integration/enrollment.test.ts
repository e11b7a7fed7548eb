import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRaw } from '../helpers/mqtt-client.js';
import { AGENT_BIN, CP_BIN, runNode, spawnNode, stopAll, tempDir, type Proc } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface Credential {
  id: string;
  secret: string;
  controlPlane: string;
  controlPlanes?: string[];
}
interface AgentView {
  id: string;
  status: string;
  site: string | null;
  labels: Record<string, string>;
  credential: { rotationPending: boolean; rotatedAt: string | null };
}

async function grantCreate(
  dataDir: string,
  ...args: string[]
): Promise<{ grant: string; expiresAt: string }> {
  const res = await runNode([CP_BIN, 'grant', 'create', '--data-dir', dataDir, ...args]);
  expect(res.code, res.stderr).toBe(0);
  const lines = res.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as { grant: string; expiresAt: string };
}

function enroll(cp: ControlPlane, grant: string, stateDir: string) {
  return runNode([
    AGENT_BIN,
    'enroll',
    '--control-plane',
    cp.apiBase,
    '--grant',
    grant,
    '--state-dir',
    stateDir,
  ]);
}

const readCredential = (stateDir: string): Credential =>
  JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')) as Credential;

describe('enrollment and credential rotation', () => {
  const dataDir = tempDir('tether-cp-enroll-');
  const stateDir = join(tempDir('tether-agent-enroll-'), 'state');
  let cp: ControlPlane;
  let agent: Proc;
  let mqttPort: number;
  let firstSecret = '';
  const outputs: string[] = [];
  afterAll(stopAll);

  it('grant create works with the server down and up, and through the API; one JSON line each', async () => {
    const whileDown = await grantCreate(dataDir, '--site', 'berlin', '--label', 'tier=gold', '--ttl', '10m');
    expect(whileDown.grant).toMatch(/^tg1\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(whileDown.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    cp = await startControlPlane({ dataDir });
    mqttPort = Number(new URL(cp.mqttUrl).port);
    const whileUp = await grantCreate(dataDir);
    expect(whileUp.grant).not.toBe(whileDown.grant);
    const viaApi = await cp.api<{ grant: string; expiresAt: string }>('/api/v1/grants', {
      method: 'POST',
      body: JSON.stringify({ ttl: '1m', labels: { a: 'b' } }),
    });
    expect(viaApi.status).toBe(201);
    expect(Object.keys(viaApi.body).sort()).toEqual(['expiresAt', 'grant', 'join']);
    const bad = await cp.api('/api/v1/grants', { method: 'POST', body: JSON.stringify({ ttl: '9d' }) });
    expect(bad.status).toBe(400);

    // The grant made while the server was down enrolls an agent that then needs nothing but its state dir.
    const enrolled = await enroll(cp, whileDown.grant, stateDir);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    outputs.push(enrolled.stdout, enrolled.stderr);
    const printed = JSON.parse(enrolled.stdout) as { id: string; stateDir: string; controlPlane: string };
    expect(printed).toMatchObject({ stateDir, controlPlane: cp.mqttUrl });
    expect(statSync(join(stateDir, 'credential.json')).mode & 0o777).toBe(0o600);
    const credential = readCredential(stateDir);
    firstSecret = credential.secret;
    expect(credential.id).toBe(printed.id);
    // One control plane: its WebSocket URL is another scheme, not a failover target (cluster.test.ts has a list).
    expect(credential.controlPlanes).toBeUndefined();

    agent = await spawnNode([
      AGENT_BIN,
      'run',
      '--state-dir',
      stateDir,
      '--api-port',
      '0',
      '--service',
      'orders=http://127.0.0.1:18401',
    ]);
    const view = await waitFor(async () => {
      const { body } = await cp.api<AgentView>(`/api/v1/agents/${credential.id}`);
      return body.status === 'online' ? body : undefined;
    }, 'the enrolled agent online');
    expect(view).toMatchObject({ site: 'berlin', labels: { tier: 'gold' } });
    await waitFor(async () => {
      const { body } = await cp.api<{ routes: { service: string }[] }>(
        `/api/v1/routes?agent=${credential.id}`,
      );
      return body.routes.some((r) => r.service === 'orders');
    }, 'its route visible');
  });

  it('50 concurrent redemptions of one grant: exactly one success, the others 409', async () => {
    const { grant } = await grantCreate(dataDir);
    const before = (await cp.api<{ agents: unknown[] }>('/api/v1/agents')).body.agents.length;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        cp.api<{ id?: string; error?: { message: string } }>('/api/v1/enroll', {
          method: 'POST',
          body: JSON.stringify({ v: 1, grant, id: `racer-${i}` }),
        }),
      ),
    );
    const won = answers.filter((a) => a.status === 201);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(49);
    expect(answers.find((a) => a.status === 409)!.body.error!.message).toMatch(/already used/);
    expect((await cp.api<{ agents: unknown[] }>('/api/v1/agents')).body.agents.length).toBe(before + 1);
  });

  it('refuses a reused, an expired and a forged grant with a clear error, changing nothing', async () => {
    const { grant } = await grantCreate(dataDir, '--ttl', '5m');
    const first = await enroll(cp, grant, join(tempDir('tether-agent-reuse-'), 's'));
    expect(first.code, first.stderr).toBe(0);
    const again = await enroll(cp, grant, join(tempDir('tether-agent-reuse-'), 's'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/enrollment refused \(409 conflict\): enrollment grant already used/);
    outputs.push(first.stdout, first.stderr, again.stdout, again.stderr);

    const expiring = await grantCreate(dataDir, '--ttl', '1s');
    await new Promise((r) => setTimeout(r, 1_100));
    const before = (await cp.api<{ agents: unknown[] }>('/api/v1/agents')).body.agents.length;
    const late = await cp.api<{ error: { code: string } }>('/api/v1/enroll', {
      method: 'POST',
      body: JSON.stringify({ v: 1, grant: expiring.grant }),
    });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('grant_expired');
    const forged = expiring.grant.replace(/\.[\w-]+$/, `.${'x'.repeat(43)}`);
    const refused = await cp.api('/api/v1/enroll', {
      method: 'POST',
      body: JSON.stringify({ v: 1, grant: forged }),
    });
    expect(refused.status).toBe(401);
    expect((await cp.api<{ agents: unknown[] }>('/api/v1/agents')).body.agents.length).toBe(before);
  });

  it('rotation: the agent takes the new secret without reconnecting; the old one is refused, also after a CP crash', async () => {
    const { id } = readCredential(stateDir);
    const apiBase = `http://127.0.0.1:${agent.ready.api}`;
    const status = async () =>
      (await (await fetch(`${apiBase}/v1/status`)).json()) as {
        state: string;
        connectedSince: number;
        reconnects: number;
      };
    const before = await status();
    expect(before.state).toBe('connected');

    const res = await cp.api<{ id: string; pending: boolean; rotation: string }>(
      `/api/v1/agents/${id}/rotate`,
      {
        method: 'POST',
      },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, pending: true });
    const rotated = await waitFor(async () => {
      const { body } = await cp.api<AgentView>(`/api/v1/agents/${id}`);
      const credential = readCredential(stateDir);
      return !body.credential.rotationPending && credential.secret !== firstSecret ? credential : undefined;
    }, 'the rotation confirmed and stored');
    expect(statSync(join(stateDir, 'credential.json')).mode & 0o777).toBe(0o600);
    const after = await status();
    expect(after).toMatchObject({
      state: 'connected',
      connectedSince: before.connectedSince,
      reconnects: before.reconnects,
    });
    expect((await connectRaw(cp.mqttUrl, id, firstSecret)).ok).toBe(false);

    // kill -9 the control plane, restart it on the same port: the agent comes back with the new secret.
    outputs.push(cp.proc.stderr());
    await cp.proc.stop('SIGKILL');
    cp = await startControlPlane({ dataDir, args: ['--mqtt-port', String(mqttPort)] });
    await waitFor(
      async () => (await cp.api<AgentView>(`/api/v1/agents/${id}`)).body.status === 'online',
      'the agent back online after the restart',
      { timeoutMs: 20_000 },
    );
    expect((await connectRaw(cp.mqttUrl, id, firstSecret)).ok).toBe(false);
    expect((await status()).state).toBe('connected');

    // No secret (first, rotated, grant) in any output of either process.
    outputs.push(cp.proc.stderr(), agent.stderr());
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [firstSecret, rotated.secret]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/tg1\.[\w-]+\.[\w-]{40,}/);
  });
});
