import { describe, expect, it } from 'vitest';
import {
  CENTRAL,
  MemoryRouteTable,
  advertTopic,
  inboxTopic,
  routeKey,
  routesDigest,
  statusTopic,
  type AdvertiseStrategy,
  type Route,
} from '@tether/shared';
import { toServiceSpec } from '@tether/agent';
import { Advertiser } from '../src/sync/advertiser.js';
import { CentralRoutes } from '../src/sync/central-routes.js';
import { RouteSync } from '../src/sync/route-sync.js';
import { ServiceRegistry } from '../src/services/service-registry.js';
import { FakeTransport, ManualClock, quietLogger } from './helpers.js';

const ID = 'edge-1';

function central(service: string, metric = 1, address = `http://central/${service}`): Route {
  return {
    service,
    address,
    origin: CENTRAL,
    originKind: 'central',
    site: 'hub',
    labels: {},
    metric,
    state: 'active',
    version: 1,
  };
}

function setup(strategy: AdvertiseStrategy = 'local') {
  const clock = new ManualClock();
  const table = new MemoryRouteTable();
  const transport = new FakeTransport();
  let epochs = 0;
  const advertiser = new Advertiser({
    id: ID,
    strategy,
    site: 'lab',
    labels: { zone: 'a' },
    version: '9.9.9',
    table,
    transport,
    logger: quietLogger,
    clock,
    digestIntervalMs: 30_000,
    newEpoch: () => `epoch-${++epochs}`,
    // No coalescing: each change is its own delta (pacing has its own tests).
    pacing: { coalesceMs: 0, perSecond: 1000, burst: 1000 },
  });
  const sync = new RouteSync({
    id: ID,
    transport,
    advertiser,
    central: new CentralRoutes(table),
    logger: quietLogger,
  });
  const registry = new ServiceRegistry({
    id: ID,
    site: 'lab',
    table,
    onRoutesChanged: () => sync.localChanged(),
  });
  const inbox = (message: unknown) => transport.deliver(inboxTopic(ID), message);
  return { clock, table, transport, advertiser, sync, registry, inbox };
}

const svc = (name: string, url: string, metric = 1) => toServiceSpec({ name, url, metric }, 'static');

describe('advertising', () => {
  it('announces online (retained) then a snapshot in a fresh epoch on every connect', async () => {
    const { transport, sync, registry } = setup();
    registry.apply('static', [svc('web', 'http://127.0.0.1:8080')], []);
    await sync.start();
    transport.connect();
    expect(transport.published.map((m) => [m.topic, m.json.type, m.retain])).toEqual([
      [statusTopic(ID), 'agent-status', true],
      [advertTopic(ID), 'advert-snapshot', false],
    ]);
    expect(transport.published[0]?.json).toMatchObject({
      agentId: ID,
      status: 'online',
      strategy: 'local',
      site: 'lab',
      version: '9.9.9',
    });
    const snapshot = transport.ofType('advert-snapshot')[0]!.json;
    expect(snapshot).toMatchObject({ epoch: 'epoch-1', seq: 0, strategy: 'local', labels: { zone: 'a' } });
    expect(snapshot.routes).toEqual([
      expect.objectContaining({ service: 'web', origin: ID, originKind: 'local', site: 'lab', metric: 1 }),
    ]);
    transport.drop();
    transport.connect();
    expect(transport.ofType('advert-snapshot').map((m) => m.json.epoch)).toEqual(['epoch-1', 'epoch-2']);
  });

  it('sends a delta with seq + 1 for each service added or removed, nothing while disconnected', async () => {
    const { transport, sync, registry } = setup();
    await sync.start();
    transport.connect();
    registry.apply('static', [svc('web', 'http://127.0.0.1:8080')], []);
    registry.apply('static', [svc('api', 'http://127.0.0.1:9090')], []);
    registry.apply(
      'static',
      [],
      registry.find('web').map((f) => f.spec),
    );
    const deltas = transport.ofType('advert-delta').map((m) => m.json);
    expect(deltas.map((d) => d.seq)).toEqual([1, 2, 3]);
    expect((deltas[0]!.upserts as Route[]).map((r) => r.service)).toEqual(['web']);
    expect(deltas[2]!.removes).toEqual([
      routeKey({ service: 'web', origin: ID, address: 'http://127.0.0.1:8080' }),
    ]);
    transport.drop();
    registry.apply('static', [svc('late', 'http://127.0.0.1:1')], []);
    expect(transport.ofType('advert-delta')).toHaveLength(3);
    transport.connect();
    const snap = transport.ofType('advert-snapshot').at(-1)!.json;
    expect((snap.routes as Route[]).map((r) => r.service).sort()).toEqual(['api', 'late']);
  });

  it('with strategy none sends an empty snapshot and no deltas', async () => {
    const { transport, sync, registry } = setup('none');
    registry.apply('static', [svc('web', 'http://127.0.0.1:8080')], []);
    await sync.start();
    transport.connect();
    registry.apply('static', [svc('api', 'http://127.0.0.1:9090')], []);
    expect(transport.ofType('advert-snapshot')[0]!.json.routes).toEqual([]);
    expect(transport.ofType('advert-delta')).toEqual([]);
  });

  it('with strategy best advertises only the lower metric of two instances, and follows central routes', async () => {
    const { transport, sync, registry, inbox } = setup('best');
    registry.apply('static', [svc('web', 'http://a:1', 5), svc('web', 'http://b:1', 2)], []);
    await sync.start();
    transport.connect();
    const routes = transport.ofType('advert-snapshot')[0]!.json.routes as Route[];
    expect(routes.map((r) => [r.address, r.metric])).toEqual([['http://b:1', 2]]);
    // A better central instance wins `best`, and split horizon keeps it from going back: ours is withdrawn.
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h',
      seq: 0,
      full: true,
      upserts: [central('web', 1)],
      removes: [],
    });
    const delta = transport.ofType('advert-delta')[0]!.json;
    expect(delta).toMatchObject({ seq: 1, upserts: [] });
    expect(delta.removes).toEqual([routeKey({ service: 'web', origin: ID, address: 'http://b:1' })]);
  });

  it('sends a digest of the advertised set every interval while connected', async () => {
    const { transport, sync, registry, clock, advertiser } = setup();
    registry.apply('static', [svc('web', 'http://127.0.0.1:8080')], []);
    await sync.start();
    transport.connect();
    clock.advance(30_000);
    clock.advance(30_000);
    const digests = transport.ofType('advert-digest').map((m) => m.json);
    expect(digests).toHaveLength(2);
    expect(digests[0]).toMatchObject({
      epoch: 'epoch-1',
      seq: 0,
      count: 1,
      digest: routesDigest(advertiser.advertised),
    });
    transport.drop();
    clock.advance(120_000);
    expect(transport.ofType('advert-digest')).toHaveLength(2);
  });
});

describe('inbox', () => {
  it('applies a full agent-routes, then in-order deltas; a gap or unknown epoch asks for a resync', async () => {
    const { transport, sync, table, inbox } = setup();
    await sync.start();
    transport.connect();
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h1',
      seq: 4,
      full: true,
      upserts: [central('auth'), central('logs')],
      removes: [],
    });
    expect(table.list({ originKind: 'central' }).map((r) => r.service)).toEqual(['auth', 'logs']);
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h1',
      seq: 5,
      full: false,
      upserts: [central('metrics')],
      removes: [routeKey(central('logs'))],
    });
    expect(table.list({ originKind: 'central' }).map((r) => r.service)).toEqual(['auth', 'metrics']);
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h1',
      seq: 7,
      full: false,
      upserts: [central('gap')],
      removes: [],
    });
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'other',
      seq: 6,
      full: false,
      upserts: [central('x')],
      removes: [],
    });
    expect(table.list({ originKind: 'central' }).map((r) => r.service)).toEqual(['auth', 'metrics']);
    const resyncs = transport.ofType('resync-request');
    expect(resyncs).toHaveLength(2);
    expect(resyncs.every((m) => m.topic === advertTopic(ID))).toBe(true);
    expect(resyncs[0]!.json.reason).toMatch(/gap/);
    expect(resyncs[1]!.json.reason).toMatch(/epoch/);
  });

  it('asks for a resync when a delta comes before any full message', async () => {
    const { transport, sync, inbox } = setup();
    await sync.start();
    transport.connect();
    inbox({ v: 1, type: 'agent-routes', epoch: 'h1', seq: 1, full: false, upserts: [], removes: [] });
    expect(transport.ofType('resync-request')).toHaveLength(1);
  });

  it("never lets the hub overwrite or remove the agent's own routes", async () => {
    const { transport, sync, registry, table, inbox } = setup();
    registry.apply('static', [svc('web', 'http://127.0.0.1:8080')], []);
    await sync.start();
    transport.connect();
    const own = table.list({ origin: ID })[0]!;
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h',
      seq: 0,
      full: true,
      upserts: [{ ...own, metric: 99 }],
      removes: [],
    });
    inbox({
      v: 1,
      type: 'agent-routes',
      epoch: 'h',
      seq: 1,
      full: false,
      upserts: [],
      removes: [routeKey(own)],
    });
    expect(table.list({ origin: ID })).toEqual([own]);
  });

  it('answers a resync-request with a new snapshot and survives invalid messages', async () => {
    const { transport, sync, inbox } = setup();
    await sync.start();
    transport.connect();
    inbox('not json');
    inbox({ v: 1, type: 'agent-routes', epoch: 'h' });
    inbox({ v: 2, type: 'resync-request', reason: 'wrong version' });
    inbox({ v: 1, type: 'error', code: 'forbidden_route', message: 'dropped 1 route' });
    expect(transport.ofType('advert-snapshot')).toHaveLength(1);
    inbox({ v: 1, type: 'resync-request', reason: 'digest mismatch' });
    const snaps = transport.ofType('advert-snapshot').map((m) => m.json);
    expect(snaps).toHaveLength(2);
    expect(snaps[1]).toMatchObject({ epoch: 'epoch-2', seq: 0 });
  });
});
