import { describe, expect, it } from 'vitest';
import { SourceUnreachableError } from '../src/errors.js';
import type { ServiceSpec } from '../src/services/service-input.js';
import type { RouteSource, SourceWatchHandlers } from '../src/sources/route-source.js';
import { SourceRunner, type SourceSink } from '../src/sources/source-runner.js';
import { ManualClock, quietLogger } from './helpers.js';

// The runner's policy (list, watch, resync, backoff, grace) on a manual clock; the registries themselves are
// tested against real servers in test/contracts/route-source.test.ts.
const spec = (name: string): ServiceSpec => ({
  name,
  url: `http://127.0.0.1:${name.length}`,
  metric: 1,
  labels: {},
  source: 'etcd',
});

/** An in-memory registry: `up` decides whether it answers. */
class MemorySource implements RouteSource {
  readonly kind = 'etcd' as const;
  readonly name = 'etcd://mem:1';
  up = true;
  held: ServiceSpec[] = [];
  lists = 0;
  handlers: SourceWatchHandlers | undefined;
  list(): Promise<ServiceSpec[]> {
    this.lists++;
    return this.up
      ? Promise.resolve([...this.held])
      : Promise.reject(new SourceUnreachableError('connection refused'));
  }
  watch(handlers: SourceWatchHandlers): Promise<void> {
    this.handlers = handlers;
    return Promise.resolve();
  }
  unwatch(): Promise<void> {
    this.handlers = undefined;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return this.unwatch();
  }
}

/** Records what the runner writes. */
function recordingSink(): SourceSink & { specs: Map<string, ServiceSpec>; stale: Array<number | null> } {
  const specs = new Map<string, ServiceSpec>();
  const stale: Array<number | null> = [];
  return {
    specs,
    stale,
    replace: (_, all) => {
      specs.clear();
      for (const s of all) specs.set(s.name, s);
    },
    apply: (_, upserts, removes) => {
      for (const s of removes) specs.delete(s.name);
      for (const s of upserts) specs.set(s.name, s);
    },
    setStale: (_, at) => void stale.push(at),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(timing = { resyncMs: 60_000, graceMs: 5_000 }) {
  const clock = new ManualClock();
  const source = new MemorySource();
  const sink = recordingSink();
  const runner = new SourceRunner({ source, sink, timing, clock, logger: quietLogger, random: () => 0.5 });
  const tick = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush();
  };
  return { clock, source, sink, runner, tick };
}

describe('SourceRunner', () => {
  it('lists, then follows the watch; a resync prunes what the watch missed', async () => {
    const { source, sink, runner, tick } = setup();
    source.held = [spec('a'), spec('bb')];
    await runner.start();
    expect([...sink.specs.keys()]).toEqual(['a', 'bb']);
    expect(runner.status).toMatchObject({ phase: 'synced', instances: 2, lists: 1 });
    source.handlers?.change({ type: 'delta', upserts: [spec('ccc')], removes: [spec('a')] });
    expect([...sink.specs.keys()]).toEqual(['bb', 'ccc']);
    source.held = [spec('bb')]; // ccc left without the watch saying so
    await tick(60_000);
    expect([...sink.specs.keys()]).toEqual(['bb']);
    expect(runner.status.lists).toBe(2);
    await runner.close();
  });

  it('keeps an unreachable registry for the grace, then stale; current again once it answers', async () => {
    const { source, sink, runner, tick, clock } = setup();
    source.held = [spec('a')];
    await runner.start();
    const start = clock.now();
    source.up = false;
    source.handlers?.error(new SourceUnreachableError('watch stream closed'));
    expect(runner.status.phase).toBe('unreachable');
    await tick(4_000); // retries within the grace fail
    expect(source.lists).toBeGreaterThan(1);
    expect([...sink.specs.keys()]).toEqual(['a']);
    expect(sink.stale).toEqual([]);
    await tick(1_000);
    expect(runner.status.phase).toBe('stale');
    expect(sink.stale).toEqual([start + 5_000]);
    expect([...sink.specs.keys()]).toEqual(['a']); // stale, never dropped
    source.up = true;
    await tick(30_000);
    expect(runner.status).toMatchObject({ phase: 'synced', lastError: null, unreachableSince: null });
    expect(sink.stale).toEqual([start + 5_000, null]);
    await runner.close();
  });

  it('retries a failing registry with bounded, growing backoff (no list loop)', async () => {
    const { source, runner, tick, clock } = setup();
    source.up = false;
    await runner.start();
    clock.delays.length = 0;
    for (let s = 0; s < 600; s++) await tick(1_000); // ten minutes, a second at a time
    const retries = clock.delays.filter((ms) => ms !== 5_000); // the grace timer aside
    expect(source.lists).toBeLessThan(40); // 10 minutes at a 30 s cap: about 25
    expect(Math.max(...retries)).toBeLessThanOrEqual(30_000);
    expect(retries.slice(0, 4)).toEqual([...retries.slice(0, 4)].sort((a, b) => a - b));
    await runner.close();
  });

  it('stops everything on close', async () => {
    const { source, runner, clock } = setup();
    await runner.start();
    await runner.close();
    expect(source.handlers).toBeUndefined();
    expect(clock.pending).toBe(0);
    expect(runner.status.phase).toBe('closed');
  });
});
