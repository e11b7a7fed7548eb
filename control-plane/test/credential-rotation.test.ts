import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsTopic, encode, type CredentialRotate } from '@tether/shared';
import { addAgent, connectAgent, startTestControlPlane, waitFor, type TestAgent } from './helpers.js';
import type { ControlPlane } from '../src/index.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function canConnect(cp: ControlPlane, id: string, secret: string): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${cp.ports.mqtt!}`, {
      clientId: `${id}`,
      username: id,
      password: secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    await client.endAsync();
    return true;
  } catch {
    return false;
  }
}

async function rotate(
  cp: ControlPlane,
  id: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  // The rotate endpoint needs an admin token (docs: API authorisation).
  const headers = cp.bootstrapTokenFile
    ? { authorization: `Bearer ${readFileSync(cp.bootstrapTokenFile, 'utf8').trim()}` }
    : undefined;
  const res = await fetch(`http://127.0.0.1:${cp.ports.http}/api/v1/agents/${id}/rotate`, {
    method: 'POST',
    ...(headers ? { headers } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function rotation(agent: TestAgent): Promise<CredentialRotate> {
  return (await agent.next('credential-rotate')) as CredentialRotate;
}

describe('credential rotation', () => {
  it('sends the new secret to the inbox; both work until the agent acknowledges; then only the new one', async () => {
    const { cp, stop } = await startTestControlPlane();
    stops.push(stop);
    const old = addAgent(cp, 'edge-1');
    const agent = await connectAgent(cp, 'edge-1', old);
    const res = await rotate(cp, 'edge-1');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: 'edge-1', pending: true });
    expect(JSON.stringify(res.body)).not.toMatch(/secret/);
    const message = await rotation(agent);
    expect(message.rotation).toBe(res.body.rotation);
    // A second rotate while one is pending hands back the same rotation (the agent may hold that secret).
    expect((await rotate(cp, 'edge-1')).body.rotation).toBe(res.body.rotation);
    // While pending both secrets work (each probe takes over edge-1's session, which is fine here).
    expect(await canConnect(cp, 'edge-1', old)).toBe(true);
    expect(await canConnect(cp, 'edge-1', 'neither-of-them-0123')).toBe(false);
    // A connect with the new secret proves the agent has it: the rotation is confirmed, the old one stops.
    expect(await canConnect(cp, 'edge-1', message.secret)).toBe(true);
    expect(await canConnect(cp, 'edge-1', old)).toBe(false);
    expect(await canConnect(cp, 'edge-1', message.secret)).toBe(true);
    await agent.end().catch(() => undefined);
  });

  it('an acknowledgement retires the old secret without touching the connection', async () => {
    const { cp, stop } = await startTestControlPlane();
    stops.push(stop);
    const old = addAgent(cp, 'edge-2');
    const agent = await connectAgent(cp, 'edge-2', old);
    await rotate(cp, 'edge-2');
    const message = await rotation(agent);
    await agent.client.publishAsync(
      credentialsTopic('edge-2'),
      encode({ v: 1, type: 'credential-ack', rotation: message.rotation }),
      { qos: 1 },
    );
    await waitFor(
      () => cp.db.prepare("SELECT rotation_id FROM agents WHERE id = 'edge-2'").pluck().get() === null,
      3000,
      'confirmation',
    );
    expect(agent.client.connected).toBe(true);
    expect(await canConnect(cp, 'edge-2', old)).toBe(false);
    expect(await canConnect(cp, 'edge-2', message.secret)).toBe(true);
  });

  it('re-sends an unconfirmed secret after a reconnect; after a restart issues a new one', async () => {
    const { cp, dir, stop } = await startTestControlPlane();
    const old = addAgent(cp, 'edge-3');
    await rotate(cp, 'edge-3'); // offline: nothing sent yet
    let agent = await connectAgent(cp, 'edge-3', old);
    const first = await rotation(agent);
    await agent.end();
    agent = await connectAgent(cp, 'edge-3', old);
    expect((await rotation(agent)).secret).toBe(first.secret);
    await agent.end();
    await cp.close();

    const { startControlPlane } = await import('../src/index.js');
    const { silentLogger } = await import('./helpers.js');
    const again = await startControlPlane({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      host: '127.0.0.1',
      logger: silentLogger,
    });
    stops.push(async () => {
      await again.close();
      await stop();
    });
    agent = await connectAgent(again, 'edge-3', old);
    const reissued = await rotation(agent);
    expect(reissued.secret).not.toBe(first.secret);
    expect(await canConnect(again, 'edge-3', first.secret)).toBe(false);
    await agent.end();
    expect(await canConnect(again, 'edge-3', reissued.secret)).toBe(true);
    expect(await canConnect(again, 'edge-3', old)).toBe(false);
  });

  it('refuses an unknown agent and ignores acknowledgements of nothing', async () => {
    const { cp, stop } = await startTestControlPlane();
    stops.push(stop);
    expect((await rotate(cp, 'ghost')).status).toBe(404);
    const secret = addAgent(cp, 'edge-4');
    const agent = await connectAgent(cp, 'edge-4', secret);
    await agent.client.publishAsync(
      credentialsTopic('edge-4'),
      encode({ v: 1, type: 'credential-ack', rotation: 'nope' }),
      {
        qos: 1,
      },
    );
    await agent.client.publishAsync(credentialsTopic('edge-4'), 'not json', { qos: 1 });
    await agent.end();
    expect(await canConnect(cp, 'edge-4', secret)).toBe(true);
  });
});
