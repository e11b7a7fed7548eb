import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiStream, type ApiStream } from '../helpers/api-stream.js';
import { runCp } from '../helpers/cli.js';
import { stopAll, tempDir } from '../helpers/processes.js';
import {
  http,
  serviceNames,
  startControlPlane,
  startEdge,
  type ControlPlane,
  type Edge,
} from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const NETWORK = `
services:
  - name: billing
    url: http://127.0.0.1:9101/
    visibleTo: { labels: { tier: gold } }
  - name: ota
    url: http://127.0.0.1:9102/
policies:
  orders:
    localFirst: false
    tiers: [{ match: { site: berlin }, priority: 5 }]
tokens:
  - { name: bootstrap-admin, role: admin }
  - { name: grafana, role: viewer }
`;

// The network as code against a real control plane, two real agents and SQLite: apply (dry run, idempotent,
// prune), export round-trips, every change audited as `apply`, and the running server picks it all up.
describe('tether-cp apply / export', () => {
  let cp: ControlPlane;
  let gold: Edge;
  let plain: Edge;
  let events: ApiStream;
  const dir = tempDir('tether-network-');
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const cli = async (...args: string[]) => {
    const res = await runCp([...args, '--data-dir', cp.dataDir]);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout;
  };
  const centralAt = async (edge: Edge) =>
    serviceNames(
      (
        await edge.api<{ routes: { service: string; originKind: string }[] }>('/v1/routes')
      ).body.routes.filter((r) => r.originKind === 'central'),
    ).join();
  const auditByApply = async () =>
    (await cp.api<{ entries: { kind: string }[] }>('/api/v1/audit?actor=apply')).body.entries.map(
      (e) => e.kind,
    );

  beforeAll(async () => {
    cp = await startControlPlane();
    const [a, b] = [await cp.addAgent('edge-gold'), await cp.addAgent('edge-plain')];
    gold = await startEdge({ id: 'edge-gold', secret: a, url: cp.mqttUrl, labels: { tier: 'gold' } });
    plain = await startEdge({ id: 'edge-plain', secret: b, url: cp.mqttUrl });
    events = await openApiStream(cp, '/api/v1/events', cp.token);
  });

  afterAll(async () => {
    events?.ws.close();
    await stopAll();
  });

  it('a dry run prints the changes and makes none', async () => {
    const out = await cli('apply', '-f', file('network.yaml', NETWORK), '--dry-run');
    expect(out).toContain(
      '+ service billing: url http://127.0.0.1:9101/, visibleTo {"labels":{"tier":"gold"}}',
    );
    expect(out).toContain('+ token grafana (viewer)');
    expect(out).toMatch(/4 to add, 0 to change, 0 to remove \(dry run: nothing changed\)/);
    expect((await cp.api<{ services: unknown[] }>('/api/v1/services')).body.services).toEqual([]);
    expect(await auditByApply()).toEqual([]);
  });

  it('apply makes the services, policy and token; the running server and the edges pick them up', async () => {
    const out = await cli('apply', '-f', join(dir, 'network.yaml'));
    const secret = /token grafana: (tether_\S+)/.exec(out)?.[1];
    expect(secret).toBeDefined();
    await waitFor(async () => (await centralAt(gold)) === 'billing,ota', 'edge-gold to see billing and ota');
    await waitFor(async () => (await centralAt(plain)) === 'ota', 'edge-plain to see ota only');
    const orders = await cp.api<{ policySource: string; policy: { localFirst: boolean } }>(
      '/api/v1/services/orders',
    );
    expect(orders.body).toMatchObject({ policySource: 'api', policy: { localFirst: false } });
    // The event stream told viewers about the policy (the dashboard's service page follows it).
    await waitFor(
      () => events.frames.some((f) => f.includes('"policy-updated"') && f.includes('"orders"')),
      'policy event',
    );
    expect((await http(cp.apiBase, '/api/v1/agents', {}, secret)).status).toBe(200);
    expect(await auditByApply()).toEqual(['service-set', 'service-set', 'policy-set', 'token-created']);
  });

  it('is idempotent: the same file again changes nothing and audits nothing', async () => {
    expect(await cli('apply', '-f', join(dir, 'network.yaml'), '--prune')).toMatch(/^no changes: /);
    expect(await auditByApply()).toHaveLength(4);
  });

  it('export prints the same network, and applying the export changes nothing', async () => {
    const exported = await cli('export');
    expect(exported).toMatch(/^services:\n {2}- name: billing\n(.*\n)* {2}- name: ota\n/m);
    expect(exported).toMatch(
      /^tokens:\n {2}- name: bootstrap-admin\n {4}role: admin\n {2}- name: grafana\n {4}role: viewer\n/m,
    );
    expect(exported).not.toContain('tether_');
    expect(await cli('apply', '-f', file('exported.yaml', exported), '--prune')).toMatch(/^no changes: /);
  });

  it('--prune removes what the file no longer names; without it nothing is removed', async () => {
    const smaller = file(
      'smaller.yaml',
      NETWORK.replace(/ {2}- name: ota\n.*\n/, '').replace(/ {2}- \{ name: grafana.*\n/, ''),
    );
    expect(await cli('apply', '-f', smaller)).toMatch(/^no changes: /);
    const dry = await cli('apply', '-f', smaller, '--prune', '--dry-run');
    expect(dry.split('\n').filter((l) => l.startsWith('-'))).toEqual([
      '- service ota',
      '- token grafana (viewer)',
    ]);
    await cli('apply', '-f', smaller, '--prune');
    await waitFor(async () => (await centralAt(plain)) === '', 'edge-plain to lose ota');
    expect(await centralAt(gold)).toBe('billing');
    expect((await auditByApply()).slice(4)).toEqual(['service-deleted', 'token-deleted']);
  });

  it('works while the server is down: the next start serves what was applied', async () => {
    await cp.proc.stop();
    await runCp([
      'apply',
      '-f',
      file('late.yaml', 'services:\n  - { name: late, url: "http://127.0.0.1:9103/" }\n'),
      '--data-dir',
      cp.dataDir,
    ]);
    cp = await startControlPlane({ dataDir: cp.dataDir });
    const routes = await cp.api<{ routes: { origin: string; address: string }[] }>(
      '/api/v1/routes?service=late',
    );
    expect(routes.body.routes).toMatchObject([{ origin: 'central', address: 'http://127.0.0.1:9103/' }]);
  });
});
