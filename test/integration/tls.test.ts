import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, CP_BIN, runNode, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface CertsInit {
  ca: string;
  cert: string;
  key: string;
  fingerprint: string;
}

async function cli(...args: string[]): Promise<Record<string, string>> {
  const res = await runNode([CP_BIN, ...args]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Record<string, string>;
}

async function agentState(edge: Edge): Promise<string> {
  return (await edge.api<{ state: string }>('/v1/status')).body.state;
}

async function online(cp: ControlPlane, id: string): Promise<boolean> {
  return (await cp.api<{ status: string }>(`/api/v1/agents/${id}`)).body.status === 'online';
}

const WRONG_PIN = `sha256:${'00'.repeat(32)}`;

describe('TLS: certs init, mqtts, wss, https, CA and pinned verification', () => {
  const dataDir = tempDir('tether-cp-tls-');
  let certs: CertsInit;
  let cp: ControlPlane;
  const secrets = new Map<string, string>();
  const addAgent = async (id: string): Promise<string> => {
    const { secret } = await cli('agent', 'add', id, '--data-dir', dataDir);
    secrets.set(id, secret!);
    return secret!;
  };

  beforeAll(async () => {
    certs = (await cli(
      'certs',
      'init',
      '--data-dir',
      dataDir,
      '--host',
      'localhost',
    )) as unknown as CertsInit;
    // `serve` picks DATA_DIR/tls up by itself: TLS is one command away.
    cp = await startControlPlane({
      dataDir,
      args: ['--mqtts-port', '0'],
      caFile: certs.ca,
      plainMqtt: false,
    });
  });
  afterAll(stopAll);

  it('certs init writes 0600 keys; serve offers mqtts and https only', async () => {
    expect(certs.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const key of [certs.key, join(dataDir, 'tls', 'ca.key')])
      expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(Object.keys(cp.proc.ready).sort()).toEqual(['http', 'mqtts']);
    expect((await cp.api('/healthz')).status).toBe(200);
    // A grant made through the API of a control plane with TLS carries its fingerprint too.
    const viaApi = await cp.api<{ grant: string }>('/api/v1/grants', { method: 'POST', body: '{}' });
    expect(viaApi.status).toBe(201);
    expect(viaApi.body.grant.endsWith(`.${certs.fingerprint.slice('sha256:'.length)}`)).toBe(true);
    await expect(fetch(`${cp.apiBase}/healthz`)).rejects.toThrow(); // not without the CA
  });

  it('an agent verifying with the CA file connects over mqtts', async () => {
    const edge = await startEdge({
      id: 'ca-edge',
      secret: await addAgent('ca-edge'),
      url: cp.mqttsUrl!,
      args: ['--ca-file', certs.ca],
    });
    await waitFor(() => online(cp, 'ca-edge'), 'ca-edge online');
    expect(await agentState(edge)).toBe('connected');
    await edge.proc.stop();
  });

  it('an agent with the pinned fingerprint connects over wss (no CA, IP host)', async () => {
    const edge = await startEdge({
      id: 'pin-edge',
      secret: await addAgent('pin-edge'),
      url: cp.wsUrl,
      args: ['--fingerprint', certs.fingerprint],
    });
    await waitFor(() => online(cp, 'pin-edge'), 'pin-edge online');
    expect(await agentState(edge)).toBe('connected');
    await edge.proc.stop();
  });

  it('a wrong pin, or no CA against the private CA, is refused with a clear log line; nothing is sent', async () => {
    const wrong = await startEdge({
      id: 'wrong-pin',
      secret: await addAgent('wrong-pin'),
      url: cp.mqttsUrl!,
      args: ['--fingerprint', WRONG_PIN],
    });
    const noCa = await startEdge({ id: 'no-ca', secret: await addAgent('no-ca'), url: cp.mqttsUrl! });
    await waitFor(
      () => /certificate refused \(ERR_TETHER_PIN_MISMATCH\)/.test(wrong.proc.stderr()),
      'pin refusal',
    );
    await waitFor(
      () => /certificate refused \(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY/.test(noCa.proc.stderr()),
      'CA refusal',
    );
    expect(await agentState(wrong)).not.toBe('connected');
    expect(await agentState(noCa)).not.toBe('connected');
    expect(await online(cp, 'wrong-pin')).toBe(false);
    expect(await online(cp, 'no-ca')).toBe(false);
    // The control plane never saw a CONNECT from them (no authentication attempt at all).
    expect(cp.proc.stderr()).not.toMatch(/"clientId":"(wrong-pin|no-ca)"/);
    await Promise.all([wrong.proc.stop(), noCa.proc.stop()]);
  });

  it('--insecure connects and warns on every start', async () => {
    const secret = await addAgent('lax-edge');
    for (let i = 0; i < 2; i++) {
      const edge = await startEdge({ id: 'lax-edge', secret, url: cp.mqttsUrl!, args: ['--insecure'] });
      await waitFor(async () => (await agentState(edge)) === 'connected', 'lax-edge connected');
      expect(edge.proc.stderr()).toMatch(/TLS verification is OFF \(--insecure\)/);
      await edge.proc.stop();
    }
  });

  it('a grant carries the pin: enroll over https without a CA, then run --state-dir connects over mqtts', async () => {
    const { grant } = await cli('grant', 'create', '--data-dir', dataDir, '--site', 'tls-site');
    expect(grant!.endsWith(`.${certs.fingerprint.slice('sha256:'.length)}`)).toBe(true);
    const stateDir = join(tempDir('tether-agent-tls-'), 'state');
    const api = cp.apiBase.replace('localhost', '127.0.0.1');
    // A tampered pin is refused before the grant is sent: the grant stays unused.
    const tampered = grant!.replace(/\.[0-9a-f]{64}$/, `.${'00'.repeat(32)}`);
    const refused = await runNode([
      AGENT_BIN,
      'enroll',
      '--control-plane',
      api,
      '--grant',
      tampered,
      '--state-dir',
      stateDir,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate refused \(ERR_TETHER_PIN_MISMATCH\)/);

    const enrolled = await runNode([
      AGENT_BIN,
      'enroll',
      '--control-plane',
      api,
      '--grant',
      grant!,
      '--state-dir',
      stateDir,
    ]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const credential = JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')) as {
      id: string;
      controlPlane: string;
      tls: { fingerprint: string };
    };
    expect(credential.controlPlane).toMatch(/^mqtts:\/\/127\.0\.0\.1:/);
    expect(credential.tls.fingerprint).toBe(certs.fingerprint);
    const agent = await spawnNode([AGENT_BIN, 'run', '--state-dir', stateDir, '--api-port', '0']);
    await waitFor(() => online(cp, credential.id), 'the enrolled agent online over mqtts');
    expect((await cp.api<{ site: string }>(`/api/v1/agents/${credential.id}`)).body.site).toBe('tls-site');
    await agent.stop();
  });
});
