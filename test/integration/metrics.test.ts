import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { histogramCount, sampleValue, scrape } from '../helpers/prometheus.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** One call, its body read to the end; resolves with the status. */
async function call(url: string, token?: string): Promise<number> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await res.arrayBuffer();
  return res.status;
}

// `/metrics` of the control plane and of an agent parse as Prometheus text, and the call counters and latency
// histograms move by exactly the calls made (real processes, real calls through the gateway and the agent).
describe('Prometheus metrics', () => {
  let cp: ControlPlane;
  let edge: Edge;
  let echo: EchoService;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane({ config: { services: [{ name: 'central-echo', url: echo.url }] } });
    edge = await startEdge({
      id: 'edge-m',
      secret: await cp.addAgent('edge-m'),
      url: cp.mqttUrl,
      services: { 'edge-echo': echo.url },
    });
    await waitFor(
      async () =>
        (await cp.api<{ routes: unknown[] }>('/api/v1/routes?service=edge-echo')).body.routes.length === 1,
      'the edge route',
    );
    await waitFor(
      async () =>
        (await edge.api<{ routes: { service: string }[] }>('/v1/routes')).body.routes.some(
          (r) => r.service === 'central-echo',
        ),
      'the central route at the edge',
    );
  });

  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('counts gateway calls by service and status, with their latency', async () => {
    const before = await scrape(`${cp.apiBase}/metrics`);
    const ok = { service: 'edge-echo', caller: 'central', status: '200' };
    const teapot = { service: 'edge-echo', caller: 'central', status: '418' };
    for (let i = 0; i < 5; i++) expect(await call(`${cp.apiBase}/call/edge-echo/x`, cp.token)).toBe(200);
    for (let i = 0; i < 2; i++)
      expect(await call(`${cp.apiBase}/call/edge-echo/x?status=418`, cp.token)).toBe(418);
    // An unknown service is counted too, with the status the caller got.
    expect(await call(`${cp.apiBase}/call/nope/x`, cp.token)).toBe(404);
    const after = await scrape(`${cp.apiBase}/metrics`);

    expect(sampleValue(after, 'tether_calls_total', ok) - sampleValue(before, 'tether_calls_total', ok)).toBe(
      5,
    );
    expect(
      sampleValue(after, 'tether_calls_total', teapot) - sampleValue(before, 'tether_calls_total', teapot),
    ).toBe(2);
    // A service nobody serves is counted under (unknown): callers cannot create series by naming things.
    expect(sampleValue(after, 'tether_calls_total', { service: '(unknown)', status: '404' })).toBe(1);
    expect(after).not.toContain('service="nope"');
    const h = { service: 'edge-echo', status: '200' };
    expect(
      histogramCount(after, 'tether_call_duration_seconds', h) -
        histogramCount(before, 'tether_call_duration_seconds', h),
    ).toBe(5);
    expect(sampleValue(after, 'tether_calls_in_flight', { service: 'edge-echo' })).toBe(0);
    // The tunnel carried them: MQTT traffic both ways, counted by topic kind.
    expect(
      sampleValue(after, 'tether_mqtt_messages_total', { direction: 'out', kind: 'tunnel-down' }),
    ).toBeGreaterThan(
      sampleValue(before, 'tether_mqtt_messages_total', { direction: 'out', kind: 'tunnel-down' }),
    );
    expect(sampleValue(after, 'tether_connections')).toBe(1);
    expect(sampleValue(after, 'tether_routes', { state: 'active' })).toBe(2);
    expect(
      sampleValue(after, 'tether_http_requests_total', { route: '/metrics', status: '200' }),
    ).toBeGreaterThan(0);
  });

  it("counts the agent's calls both ways and its state", async () => {
    const before = await scrape(`${edge.apiBase}/metrics`);
    for (let i = 0; i < 3; i++) expect(await call(`${edge.apiBase}/call/central-echo/y`)).toBe(200);
    for (let i = 0; i < 4; i++) expect(await call(`${cp.apiBase}/call/edge-echo/z`, cp.token)).toBe(200);
    const after = await scrape(`${edge.apiBase}/metrics`);

    const out = { direction: 'out', service: 'central-echo', status: '200' };
    const inbound = { direction: 'in', service: 'edge-echo', status: '200' };
    expect(
      sampleValue(after, 'tether_agent_calls_total', out) -
        sampleValue(before, 'tether_agent_calls_total', out),
    ).toBe(3);
    expect(
      sampleValue(after, 'tether_agent_calls_total', inbound) -
        sampleValue(before, 'tether_agent_calls_total', inbound),
    ).toBe(4);
    expect(
      histogramCount(after, 'tether_agent_call_duration_seconds', out) -
        histogramCount(before, 'tether_agent_call_duration_seconds', out),
    ).toBe(3);
    expect(sampleValue(after, 'tether_agent_connected')).toBe(1);
    expect(sampleValue(after, 'tether_agent_routes', { kind: 'local' })).toBe(1);
    expect(sampleValue(after, 'tether_agent_routes', { kind: 'central' })).toBe(1);
    expect(sampleValue(after, 'tether_agent_mqtt_messages_total', { direction: 'in' })).toBeGreaterThan(0);
  });

  it('counts reports in the agent outbox and at the hub, with their lag', async () => {
    const res = await edge.api('/v1/reports/m', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"a":1}\n{"a":2}\n{"a":3}\n',
    });
    expect(res.status).toBe(202);
    const agent = await scrape(`${edge.apiBase}/metrics`);
    expect(sampleValue(agent, 'tether_agent_reports_accepted_total')).toBe(3);
    await waitFor(
      async () => sampleValue(await scrape(`${cp.apiBase}/metrics`), 'tether_reports_stored_total') === 3,
      'three reports stored',
    );
    const hub = await scrape(`${cp.apiBase}/metrics`);
    expect(histogramCount(hub, 'tether_report_lag_seconds')).toBe(3);
  });
});
