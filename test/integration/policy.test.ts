import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** A tiny HTTP service that answers every request with its name, counting requests. */
interface NamedServer {
  url: string;
  count: number;
  close(): Promise<void>;
}

const servers: NamedServer[] = [];

async function namedServer(name: string, status = 200): Promise<NamedServer> {
  const server: Server = createServer((req, res) => {
    s.count++;
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' }).end(name);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const s: NamedServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

interface CallResult {
  status: number;
  body: string;
  endedAt: number;
}

/** One call through the hub's gateway; a network error is status 0. */
async function gatewayCall(cp: ControlPlane, service: string, method = 'GET'): Promise<CallResult> {
  try {
    const res = await cp.fetch(`/call/${service}/whoami`, { method });
    const body = await res.text();
    return { status: res.status, body, endedAt: Date.now() };
  } catch (err) {
    return { status: 0, body: String(err), endedAt: Date.now() };
  }
}

/** Runs `total` calls with `concurrency` workers. */
async function callMany(cp: ControlPlane, service: string, total: number, concurrency: number) {
  const results: CallResult[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        results.push(await gatewayCall(cp, service));
      }
    }),
  );
  return results;
}

interface InstanceView {
  origin: string;
  site: string;
  state: string;
  health: string;
  successes: number;
  failures: number;
  inflight: number;
  latencyMs: { p50: number | null; p99: number | null };
}
interface ServiceDetail {
  name: string;
  policy: Record<string, unknown>;
  policySource: string;
  instances: InstanceView[];
}

async function twoSites(cp: ControlPlane, service: string, sites: [string, string], urls: [string, string]) {
  const edges = await Promise.all(
    sites.map(async (site, i) =>
      startEdge({
        id: `${service}-${site}`,
        secret: await cp.addAgent(`${service}-${site}`),
        url: cp.mqttUrl,
        site,
        services: { [service]: urls[i]! },
      }),
    ),
  );
  await waitFor(
    async () =>
      (await cp.api<ServiceDetail>(`/api/v1/services/${service}`)).body.instances?.filter(
        (i) => i.state === 'active',
      ).length === 2,
    `both ${service} instances active`,
  );
  return edges;
}

async function putPolicy(cp: ControlPlane, service: string, policy: unknown) {
  const res = await cp.api(`/api/v1/services/${service}/policy`, {
    method: 'PUT',
    body: JSON.stringify(policy),
  });
  expect(res.status).toBe(200);
}

describe('route selection policy through the gateway', () => {
  afterAll(async () => {
    await stopAll();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('active/standby: all calls go to the primary; after kill -9 the standby answers within 3 s and no idempotent call fails after', async () => {
    const cp = await startControlPlane();
    const primary = await namedServer('primary');
    const standby = await namedServer('standby');
    await putPolicy(cp, 'ledger', {
      tiers: [
        { match: { site: 'dc1' }, priority: 1 },
        { match: { site: 'dc2' }, priority: 2 },
      ],
    });
    const [primaryEdge] = await twoSites(cp, 'ledger', ['dc1', 'dc2'], [primary.url, standby.url]);

    const before = await callMany(cp, 'ledger', 60, 4);
    expect(before.map((r) => `${r.status} ${r.body}`)).toEqual(before.map(() => '200 primary'));
    expect(standby.count).toBe(0);
    const counted = (await cp.api<ServiceDetail>('/api/v1/services/ledger')).body.instances;
    expect(counted.find((i) => i.site === 'dc1')).toMatchObject({ successes: 60, failures: 0, inflight: 0 });

    // Calls keep flowing while the primary's agent dies.
    const during: CallResult[] = [];
    let running = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (running) during.push(await gatewayCall(cp, 'ledger'));
      }),
    );
    await waitFor(() => during.length >= 20, 'load running');
    const killedAt = Date.now();
    await primaryEdge!.proc.stop('SIGKILL');
    const firstFailover = await waitFor(
      () => during.find((r) => r.endedAt >= killedAt && r.status === 200 && r.body === 'standby'),
      'the standby to answer after the kill',
      { timeoutMs: 3_000, intervalMs: 10 },
    );
    const failoverAt = firstFailover.endedAt;
    await waitFor(
      () => during.filter((r) => r.endedAt > failoverAt).length >= 200,
      '200 calls after failover',
    );
    running = false;
    await load;

    const after = during.filter((r) => r.endedAt > failoverAt);
    expect(after.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body}`)).toEqual([]);
    expect(new Set(after.map((r) => r.body))).toEqual(new Set(['standby']));
    const detail = (await cp.api<ServiceDetail>('/api/v1/services/ledger')).body;
    const dc1 = detail.instances.find((i) => i.site === 'dc1');
    expect(dc1?.state).toBe('stale');
  });

  it('weights 90/10 between two sites land within ±3 points over 2000 calls', async () => {
    const cp = await startControlPlane();
    const heavy = await namedServer('heavy');
    const light = await namedServer('light');
    await putPolicy(cp, 'split', {
      weights: [
        { match: { site: 'east' }, weight: 90 },
        { match: { site: 'west' }, weight: 10 },
      ],
    });
    await twoSites(cp, 'split', ['east', 'west'], [heavy.url, light.url]);
    const results = await callMany(cp, 'split', 2000, 16);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const eastPct = (results.filter((r) => r.body === 'heavy').length / results.length) * 100;
    expect(Math.abs(eastPct - 90)).toBeLessThanOrEqual(3);
    expect(heavy.count + light.count).toBe(2000);
  });

  it('policy API: validation names the field, health and counts move, a policy survives a restart', async () => {
    const cp = await startControlPlane();
    const bad = await cp.api<{ error: { code: string; message: string } }>('/api/v1/services/stock/policy', {
      method: 'PUT',
      body: JSON.stringify({ tiers: [{ match: { site: 'a' }, priority: -5 }], localFirst: 'yes' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.message).toContain('tiers.0.priority');
    expect(bad.body.error.message).toContain('localFirst');

    const ok = await namedServer('stock-ok');
    const broken = await namedServer('stock-down');
    const deadUrl = broken.url;
    await broken.close(); // connection refused from now on
    await putPolicy(cp, 'stock', {
      tiers: [{ match: { site: 'down' }, priority: 1 }],
      ejection: { consecutiveFailures: 2, baseMs: 60_000, maxMs: 60_000 },
    });
    await twoSites(cp, 'stock', ['down', 'up'], [deadUrl, ok.url]);

    const results = await callMany(cp, 'stock', 20, 1);
    const detail = (await cp.api<ServiceDetail>('/api/v1/services/stock')).body;
    const down = detail.instances.find((i) => i.site === 'down');
    const up = detail.instances.find((i) => i.site === 'up');
    expect(down).toMatchObject({ health: 'ejected', failures: 2, inflight: 0 });
    expect(up?.successes).toBeGreaterThanOrEqual(18);
    expect(up?.latencyMs.p50).not.toBeNull();
    // Every GET that hit the dead instance was retried on the live one.
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(detail.policy).toMatchObject({ ejection: { consecutiveFailures: 2, baseMs: 60_000 } });

    await cp.proc.stop('SIGTERM');
    const again = await startControlPlane({ dataDir: cp.dataDir });
    const restored = await again.api<ServiceDetail>('/api/v1/services/stock');
    expect(restored.status).toBe(200);
    expect(restored.body.policy).toEqual(detail.policy);
    expect(restored.body.policySource).toBe('api');
  });

  it('config-file policies are served with their source', async () => {
    const cp = await startControlPlane({ config: { policies: { audit: { localFirst: false } } } });
    const res = await cp.api<ServiceDetail>('/api/v1/services/audit');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ policySource: 'config', policy: { localFirst: false } });
  });
});
