import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, CP_BIN, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';

type ErrorBody = { error: { code: string; message: string } };

// Issue 12, item 6: a misspelt nested key (`label` for `labels`) used to be dropped, leaving `visibleTo: {}`, so
// the service was visible to every edge. Every nested object of the API bodies and config files is strict now.
describe('strict schemas: an unknown key is refused with its path, never dropped', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('POST /api/v1/services with visibleTo.label is a 400 naming visibleTo and label, and stores nothing', async () => {
    const before = await cp.api<{ services: unknown[] }>('/api/v1/services');
    const res = await cp.api<ErrorBody>('/api/v1/services', {
      method: 'POST',
      body: JSON.stringify({
        name: 'firmware',
        url: 'http://127.0.0.1:9002',
        visibleTo: { label: { tier: 'gold' } },
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('visibleTo: unrecognized key "label"');
    expect((await cp.api('/api/v1/services/firmware')).status).toBe(404);
    expect((await cp.api<{ services: unknown[] }>('/api/v1/services')).body).toEqual(before.body);
  });

  it.each<[string, string, object, string]>([
    ['POST', '/api/v1/agents', { id: 'edge-9', sekret: 'x' }, 'unrecognized key "sekret"'],
    ['POST', '/api/v1/tokens', { role: 'viewer', nmae: 'dash' }, 'unrecognized key "nmae"'],
    ['POST', '/api/v1/grants', { site: 'berlin', lables: { a: 'b' } }, 'unrecognized key "lables"'],
    [
      'PUT',
      '/api/v1/services/ledger/policy',
      { tiers: [{ match: { sites: 'a' }, priority: 1 }] },
      'tiers.0.match: unrecognized key "sites"',
    ],
    ['POST', '/api/v1/enroll', { v: 1, grant: 'tg1.a.b', ident: 'x' }, 'unrecognized key "ident"'],
  ])('%s %s with a misspelt key is a 400 naming it', async (method, path, body, expected) => {
    const res = await cp.api<ErrorBody>(path, { method, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(expected);
  });

  it('tether-cp serve refuses a config file whose service has visibleTo.label, naming the path', async () => {
    const dataDir = tempDir('tether-cp-strict-');
    const config = join(dataDir, 'config.json');
    const services = [
      { name: 'firmware', url: 'http://127.0.0.1:9002', visibleTo: { label: { tier: 'gold' } } },
    ];
    writeFileSync(config, JSON.stringify({ services }));
    const args = ['serve', '--data-dir', dataDir, '--http-port', '0', '--mqtt-port', '0', '--config', config];
    const run = await runNode([CP_BIN, ...args], {}, 15_000);
    expect(run.stdout).toBe(''); // never became ready
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('services.0.visibleTo: unrecognized key "label"');
  });

  it('tether-agent refuses a config file with a misspelt nested key, naming the path', async () => {
    const dir = tempDir('tether-agent-strict-');
    const config = join(dir, 'agent.json');
    const services = [{ name: 'orders', url: 'http://127.0.0.1:8080', healthCheck: { pth: '/healthz' } }];
    writeFileSync(config, JSON.stringify({ id: 'edge-1', secret: 's', controlPlane: cp.mqttUrl, services }));
    const run = await runNode([AGENT_BIN, 'run', '--config', config, '--state-dir', dir], {}, 15_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('services.0.healthCheck: unrecognized key "pth"');
  });
});
