import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '@tether/shared';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
import { startEchoService, type EchoInfo, type EchoService } from '../helpers/echo-service.js';
import { etcdUnavailable, microKey, microService, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// End to end with real parts: a go-micro cluster's etcd registry (a real etcd, go-micro's key layout and values)
// -> `tether-agent run --source etcd://` -> the control plane's route table -> a central client's /call reaches
// the service in that cluster; a removal in etcd prunes the route; a change made while the hub is unreachable is
// advertised on reconnect. Only services marked for export (`?export=tether`) are imported.
const skip = etcdUnavailable();

describe.skipIf(skip !== undefined)(`etcd registry, end to end${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let etcd: EtcdServer;
  let echo: EchoService;
  let cp: ControlPlane;
  let link: CountingProxy;
  let edge: Edge;
  const echoAddress = (): string => new URL(echo.url).host; // go-micro's node address: host:port

  const put = (service: string, node: string, metadata: Record<string, string>): Promise<void> =>
    etcd.put(microKey(service, node), microService(service, { id: node, address: echoAddress(), metadata }));
  const routes = async (service: string): Promise<Route[]> =>
    (await cp.api<{ routes: Route[] }>(`/api/v1/routes?service=${service}`)).body.routes;
  const activeRoute = (service: string): Promise<Route> =>
    waitFor(async () => (await routes(service)).find((r) => r.state === 'active'), `${service} at the hub`);
  const agentHas = async (service: string): Promise<boolean> =>
    (await edge.api<{ services: { name: string }[] }>('/v1/services')).body.services.some(
      (s) => s.name === service,
    );

  beforeAll(async () => {
    [etcd, echo, cp] = await Promise.all([startEtcd(), startEchoService(), startControlPlane()]);
    link = await startCountingProxy(Number(new URL(cp.mqttUrl).port));
    await put('go.micro.srv.greeter', 'greeter-1', { tether: 'yes', zone: 'a' });
    await put('go.micro.srv.internal', 'internal-1', { zone: 'a' }); // not marked for export
    const secret = await cp.addAgent('site-etcd');
    edge = await startEdge({
      id: 'site-etcd',
      secret,
      url: `mqtt://127.0.0.1:${link.port}`,
      args: ['--source', `${etcd.sourceUrl}?export=tether&resync=1s`],
      // As a device runs it: the one-file bundle (etcd3's gRPC definitions embedded at build time).
      bundle: true,
    });
  });

  afterAll(async () => {
    await stopAll();
    await link?.close();
    await echo?.close();
    await etcd?.stop();
  });

  it('advertises the exported go-micro service, with its source, node address and metadata', async () => {
    const route = await activeRoute('go.micro.srv.greeter');
    expect(route).toMatchObject({
      origin: 'site-etcd',
      address: `http://${echoAddress()}`,
      source: 'etcd',
      labels: { tether: 'yes', zone: 'a', version: 'latest', protocol: 'http' },
    });
    expect(await routes('go.micro.srv.internal')).toEqual([]);
    expect(await agentHas('go.micro.srv.internal')).toBe(false);
  });

  it("carries a central client's /call to the service in the go-micro cluster", async () => {
    const res = await cp.fetch('/call/go.micro.srv.greeter/say/hello?x=1', { method: 'POST', body: 'hi' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hi');
    const seen = JSON.parse(res.headers.get('x-echo-info') ?? 'null') as EchoInfo;
    expect(seen.url).toBe('/say/hello?x=1');
    expect(seen.headers['x-tether-caller']).toBe('central:bootstrap-admin');
  });

  it('advertises on reconnect a service registered while the hub was unreachable', async () => {
    link.refuse(true);
    await waitFor(
      async () => (await edge.api<{ state: string }>('/v1/status')).body.state !== 'connected',
      'the agent sees the hub gone',
    );
    await put('go.micro.srv.late', 'late-1', { tether: 'true' });
    await waitFor(() => agentHas('go.micro.srv.late'), 'the agent imports it while offline');
    expect(await routes('go.micro.srv.late')).toEqual([]);
    link.refuse(false);
    expect((await activeRoute('go.micro.srv.late')).source).toBe('etcd');
  });

  it('prunes the route when the node leaves the registry, and a /call finds no route', async () => {
    await etcd.delete(microKey('go.micro.srv.greeter', 'greeter-1'));
    await waitFor(async () => (await routes('go.micro.srv.greeter')).length === 0, 'greeter pruned');
    const res = await cp.fetch('/call/go.micro.srv.greeter/say/hello');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
    expect((await activeRoute('go.micro.srv.late')).origin).toBe('site-etcd'); // the others stay
  });
});
