import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryRouteTable, TurnEndWork } from '@tether/shared';
import { CallStats } from '../src/calls/call-stats.js';
import { EventBus, type ControlPlaneEvent } from '../src/observability/event-bus.js';
import { EventLog } from '../src/observability/event-log.js';
import { Metrics } from '../src/observability/metrics.js';
import { StatsTicker } from '../src/observability/stats-ticker.js';
import { ManualClock, silentLogger } from './helpers.js';

const metrics = (): Metrics => new Metrics({ routes: () => new MemoryRouteTable(), connections: () => 0 });

describe('CallStats', () => {
  it('counts each call once, by service, with errors, durations and calls in flight', async () => {
    const clock = new ManualClock();
    const m = metrics();
    let endTurn: () => void = () => undefined;
    const stats = new CallStats(m, clock, new TurnEndWork(() => new Promise<void>((r) => (endTurn = r))));
    const a = stats.begin('orders', 'central');
    const b = stats.begin('orders', 'edge');
    const c = stats.begin('stock', 'central');
    expect(stats.drain().inFlight).toEqual(
      new Map([
        ['orders', 2],
        ['stock', 1],
      ]),
    );
    clock.advance(40);
    a(200);
    a(200); // idempotent
    b(503);
    const totals = stats.drain();
    expect(totals.byService.get('orders')).toEqual({ calls: 2, errors: 1, durationMs: 80 });
    expect(totals.inFlight).toEqual(new Map([['stock', 1]]));
    expect([totals.total, totals.errors]).toEqual([2, 1]);
    expect(stats.drain().byService.size).toBe(0); // drained
    c(404);
    // The Prometheus series follow at the end of the turn, after the answers left.
    expect(await m.registry.metrics()).not.toContain('tether_calls_total{service="orders"');
    endTurn();
    await Promise.resolve();
    const text = await m.registry.metrics();
    expect(text).toContain('tether_calls_total{service="orders",caller="central",status="200"} 1');
    expect(text).toContain('tether_calls_total{service="orders",caller="edge",status="503"} 1');
    expect(text).toContain('tether_call_duration_seconds_count{service="orders",status="200"} 1');
    expect(text).toContain('tether_calls_in_flight{service="stock"} 0');
  });
});

describe('Metrics', () => {
  it("serves the process's own metrics: CPU, memory, heap, GC and the event loop's delay", async () => {
    const text = await metrics().registry.metrics();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
    ])
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
  });

  it('counts open files, and lists no metric that walks every handle or resource on each scrape', async () => {
    const { registry } = metrics();
    const openFds = async (): Promise<number> =>
      Number(/^process_open_fds (\d+)$/m.exec(await registry.metrics())?.[1]);
    const before = await openFds();
    const files = Array.from({ length: 20 }, () => openSync('/dev/null', 'r'));
    try {
      expect(await openFds()).toBeGreaterThanOrEqual(before + 20);
    } finally {
      for (const fd of files) closeSync(fd);
    }
    expect(await registry.metrics()).not.toMatch(/^# TYPE nodejs_active_(handles|resources)/m);
  });
});

describe('EventLog', () => {
  it('keeps the last events of each agent, newest first, and forgets the least recently active agents', () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock, perAgent: 3, maxAgents: 2 });
    const online = (agentId: string): ControlPlaneEvent => ({ type: 'agent-online', agentId });
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      log.record(online('a'));
    }
    expect(log.recent('a').map((e) => e.at)).toEqual([1_000_005, 1_000_004, 1_000_003]);
    log.record(online('b'));
    log.record(online('c')); // a is the least recently active: forgotten
    expect(log.recent('a')).toEqual([]);
    expect(log.recent('c')).toHaveLength(1);
    log.record({ type: 'policy-updated', service: 's', policy: {} as never, policySource: 'default' });
    expect(log.recent('s')).toEqual([]);
  });

  it('keeps the last events of every kind but stats, newest first, for the overview', () => {
    const clock = new ManualClock();
    const log = new EventLog({ clock, overall: 3 });
    for (const agentId of ['a', 'b', 'c', 'd']) log.record({ type: 'agent-online', agentId });
    log.record({ type: 'stats' } as ControlPlaneEvent);
    log.record({ type: 'policy-updated', service: 's', policy: {} as never, policySource: 'default' });
    expect(log.recentAll().map((e) => e.event.type)).toEqual([
      'policy-updated',
      'agent-online',
      'agent-online',
    ]);
    expect(log.recentAll()[1]?.event).toEqual({ type: 'agent-online', agentId: 'd' });
  });
});

describe('StatsTicker', () => {
  it('pushes a stats event each interval only while someone watches, with rates over the interval', () => {
    const clock = new ManualClock();
    const bus = new EventBus();
    const seen: ControlPlaneEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const calls = new CallStats(metrics(), clock);
    let viewers = 0;
    const ticker = new StatsTicker({
      bus,
      clock,
      logger: silentLogger,
      counts: () => ({
        agents: { online: 1, offline: 0, stale: 0 },
        routes: { active: 2, stale: 0 },
        services: 1,
      }),
      calls: () => calls.drain(),
      reports: () => ({ count: 0, maxLagMs: null, streams: [] }),
      tunnels: () => ({ outgoing: 0, incoming: 0, queued: 0, streams: 0 }),
      hasViewers: () => viewers > 0,
      intervalMs: 2000,
    });
    ticker.start();
    calls.begin('orders', 'central')(200);
    clock.advance(2000);
    expect(seen).toEqual([]); // nobody watching: no event, and the interval's totals are dropped
    viewers = 1;
    for (let i = 0; i < 4; i++) calls.begin('orders', 'central')(i === 0 ? 500 : 200);
    clock.advance(2000);
    ticker.stop();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'stats',
      intervalMs: 2000,
      agents: { online: 1 },
      calls: { perSecond: 2, errorsPerSecond: 0.5, inFlight: 0, total: 5, errors: 1 },
      perService: [{ service: 'orders', perSecond: 2, errorsPerSecond: 0.5, inFlight: 0, meanMs: 0 }],
    });
    clock.advance(10_000);
    expect(seen).toHaveLength(1); // stopped
  });
});
