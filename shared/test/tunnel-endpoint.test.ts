import { afterEach, describe, expect, it } from 'vitest';
import {
  CallCancelledError,
  ForbiddenError,
  TimeoutError,
  TooBusyError,
  TunnelClosedError,
  TunnelEndpoint,
  type IncomingCall,
  type TunnelEndpointOptions,
  type TunnelRequest,
} from '@tether/shared';
import { ManualClock, MemoryBus, settle } from './tunnel-fakes.js';

const UP = 'up';
const DOWN = 'down';
const req: TunnelRequest = {
  service: 's',
  method: 'POST',
  path: '/p',
  query: 'q=1',
  headers: [['h', 'v']],
  caller: 'c',
  hops: 1,
};

async function* chunks(n: number, size = 10): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) yield new Uint8Array(size).fill(i % 256);
}
/** A turn that is over at once: every body streams (no inline first chunk), as a slow producer's would. */
const streaming = { turn: () => Promise.resolve() };

function concat(parts: Uint8Array[]): number[] {
  return parts.flatMap((p) => [...p]);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of body) out.push(c);
  return out;
}

let opened: TunnelEndpoint[] = [];
afterEach(async () => {
  await Promise.all(opened.map((e) => e.close()));
  opened = [];
});

async function pair(options: Partial<TunnelEndpointOptions> = {}) {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const malformed: string[] = [];
  const common = { clock, onMalformed: (r: string) => malformed.push(r), ...options };
  const caller = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: UP,
    receiveTopic: DOWN,
    ...common,
  });
  const callee = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: DOWN,
    receiveTopic: UP,
    ...common,
  });
  await caller.start();
  await callee.start();
  opened.push(caller, callee);
  return { bus, clock, caller, callee, malformed };
}

describe('TunnelEndpoint', () => {
  it('carries a call with bodies both ways, head and status intact', async () => {
    const { caller, callee } = await pair();
    let seen: IncomingCall | undefined;
    callee.serve(async (call) => {
      seen = call;
      const parts = await collect(call.body);
      return {
        status: 207,
        headers: [['x', 'y']],
        body: (async function* () {
          yield* parts;
          yield new Uint8Array([42]);
        })(),
      };
    });
    const res = await caller.call(req, { timeoutMs: 1000, body: chunks(40) });
    expect(res.status).toBe(207);
    expect(res.headers).toEqual([['x', 'y']]);
    const body = await collect(res.body);
    expect(concat(body)).toEqual([...concat(await collect(chunks(40))), 42]);
    expect(seen?.head).toMatchObject({ ...req, body: true, timeoutMs: 1000 });
    expect(caller.stats).toEqual({ outgoing: 0, incoming: 0, queued: 0, streams: 0 });
    expect(callee.stats).toEqual({ outgoing: 0, incoming: 0, queued: 0, streams: 0 });
  });

  it('splits chunks over 64 KiB', async () => {
    const { caller, callee, bus } = await pair();
    callee.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
    const res = await caller.call(req, { timeoutMs: 1000, body: chunks(1, 200 * 1024) });
    const body = await collect(res.body);
    expect(body.map((b) => b.byteLength)).toEqual([65536, 65536, 65536, 8192]);
    expect(bus.count(UP, 'data')).toBe(4);
  });

  it('bounds the chunks buffered for a slow consumer to the window', async () => {
    const { caller, callee, bus } = await pair({ window: 16, ...streaming });
    let produced = 0;
    callee.serve(async () => ({
      status: 200,
      headers: [],
      body: (async function* () {
        for (let i = 0; i < 100; i++) {
          produced++;
          yield new Uint8Array(8);
        }
      })(),
    }));
    const res = await caller.call({ ...req, method: 'GET' }, { timeoutMs: 10_000 });
    await settle();
    expect(bus.count(DOWN, 'data')).toBe(16);
    expect(produced).toBeLessThanOrEqual(17);
    let read = 0;
    for await (const _ of res.body) {
      read++;
      if (read % 10 === 0) {
        await settle(5);
        // never more than the window ahead of what the consumer took
        expect(bus.count(DOWN, 'data') - read).toBeLessThanOrEqual(16);
      }
    }
    expect(read).toBe(100);
  });

  it('times out locally with TimeoutError and cancels the far side', async () => {
    const { caller, callee, clock, bus } = await pair();
    let signal: AbortSignal | undefined;
    callee.serve((call) => {
      signal = call.signal;
      return new Promise(() => undefined);
    });
    const pending = caller.call(req, { timeoutMs: 500 });
    await settle();
    expect(signal?.aborted).toBe(false);
    // The caller's timer fires first here (the callee's clock is the same, both fire; either error is a timeout).
    clock.advance(500);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(bus.count(UP, 'cancel') + bus.count(DOWN, 'error')).toBeGreaterThan(0);
  });

  it('enforces the deadline on the far side with an ERROR timeout', async () => {
    const bus = new MemoryBus();
    const callerClock = new ManualClock();
    const calleeClock = new ManualClock();
    const caller = new TunnelEndpoint({
      transport: bus.transport(),
      sendTopic: UP,
      receiveTopic: DOWN,
      clock: callerClock,
    });
    const callee = new TunnelEndpoint({
      transport: bus.transport(),
      sendTopic: DOWN,
      receiveTopic: UP,
      clock: calleeClock,
    });
    opened.push(caller, callee);
    await caller.start();
    await callee.start();
    let signal: AbortSignal | undefined;
    callee.serve((call) => {
      signal = call.signal;
      return new Promise(() => undefined);
    });
    const pending = caller.call(req, { timeoutMs: 300 });
    await settle();
    calleeClock.advance(300);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    expect(signal?.aborted).toBe(true);
    expect(bus.count(DOWN, 'error')).toBe(1);
  });

  it('cancels through an AbortSignal: CANCEL reaches the callee', async () => {
    const { caller, callee } = await pair();
    let signal: AbortSignal | undefined;
    callee.serve((call) => {
      signal = call.signal;
      return new Promise(() => undefined);
    });
    const ac = new AbortController();
    const pending = caller.call(req, { timeoutMs: 10_000, signal: ac.signal });
    await settle();
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(CallCancelledError);
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(callee.stats.incoming).toBe(0);
  });

  it('rejects every pending call and fails open bodies on close', async () => {
    const { caller, callee } = await pair();
    callee.serve(async (call) =>
      call.head.path === '/stream'
        ? {
            status: 200,
            headers: [],
            body: (async function* () {
              yield new Uint8Array(1);
              await new Promise(() => undefined);
            })(),
          }
        : new Promise(() => undefined),
    );
    const a = caller.call(req, { timeoutMs: 10_000 });
    const b = caller.call(req, { timeoutMs: 10_000 });
    const streaming = await caller.call({ ...req, path: '/stream' }, { timeoutMs: 10_000 });
    const it = streaming.body[Symbol.asyncIterator]();
    await it.next();
    await caller.close();
    await expect(a).rejects.toBeInstanceOf(TunnelClosedError);
    await expect(b).rejects.toBeInstanceOf(TunnelClosedError);
    await expect(it.next()).rejects.toBeInstanceOf(TunnelClosedError);
    await expect(caller.call(req, { timeoutMs: 10 })).rejects.toBeInstanceOf(TunnelClosedError);
  });

  it('queues calls beyond the in-flight limit and refuses beyond the queue with TooBusyError', async () => {
    const { caller, callee } = await pair({ maxInFlight: 2, maxQueue: 1 });
    const release: Array<() => void> = [];
    callee.serve(() => new Promise((resolve) => release.push(() => resolve({ status: 200, headers: [] }))));
    const calls = [0, 1, 2].map(() => caller.call(req, { timeoutMs: 10_000 }));
    await settle();
    expect(caller.stats).toMatchObject({ outgoing: 2, queued: 1 });
    await expect(caller.call(req, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(TooBusyError);
    release.shift()!();
    await settle();
    expect(caller.stats).toMatchObject({ outgoing: 2, queued: 0 });
    release.splice(0).forEach((r) => r());
    await settle();
    release.splice(0).forEach((r) => r());
    const results = await Promise.all(calls);
    await Promise.all(results.map((r) => collect(r.body)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('maps a thrown named error to the same error at the caller', async () => {
    const { caller, callee } = await pair();
    callee.serve(async () => {
      throw new ForbiddenError('no pair policy');
    });
    await expect(caller.call(req, { timeoutMs: 1000 })).rejects.toThrow(ForbiddenError);
  });

  it('counts and drops malformed frames and keeps working', async () => {
    const { caller, callee, malformed, bus } = await pair();
    callee.serve(async () => ({ status: 204, headers: [] }));
    await bus.transport().publish(UP, new Uint8Array([1, 2, 3]));
    await bus.transport().publish(UP, new Uint8Array(20).fill(1));
    await settle();
    expect(malformed.length).toBe(2);
    const res = await caller.call(req, { timeoutMs: 1000 });
    expect(res.status).toBe(204);
  });

  it('fails calls when sending the request is impossible (link down)', async () => {
    const { caller, bus } = await pair();
    bus.down = true;
    await expect(caller.call(req, { timeoutMs: 1000 })).rejects.toBeInstanceOf(TunnelClosedError);
  });

  it('holds a fast caller to the window while the callee reads its request body slowly', async () => {
    const { caller, callee, bus } = await pair({ window: 16, ...streaming });
    let release: (() => void) | undefined;
    let read = 0;
    callee.serve(async (call) => {
      for await (const _ of call.body) {
        read++;
        if (read === 1) await new Promise<void>((r) => (release = r));
      }
      return { status: 200, headers: [] };
    });
    const pending = caller.call(req, { timeoutMs: 10_000, body: chunks(100) });
    await settle();
    expect(bus.count(UP, 'data')).toBe(16);
    release!();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(read).toBe(100);
  });

  it('sends a short complete call as one frame each way', async () => {
    const { caller, callee, bus } = await pair();
    callee.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
    const res = await caller.call(req, { timeoutMs: 1000, body: chunks(2) });
    expect(concat(await collect(res.body))).toEqual(concat(await collect(chunks(2))));
    await settle();
    expect(bus.delivered.map((d) => d.type)).toEqual(['request', 'response']);
    expect(caller.stats).toEqual({ outgoing: 0, incoming: 0, queued: 0, streams: 0 });
  });

  it('spends no CREDIT frame on a short streamed body', async () => {
    const { caller, callee, bus } = await pair(streaming);
    callee.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
    const res = await caller.call(req, { timeoutMs: 1000, body: chunks(2) });
    expect(await collect(res.body)).toHaveLength(2);
    await settle();
    expect(bus.count(UP, 'data')).toBe(2);
    expect(bus.count(UP, 'credit') + bus.count(DOWN, 'credit')).toBe(0);
  });

  it('sends what is ready inline and streams the rest, without credit for the inline part', async () => {
    const { caller, callee, bus } = await pair({ window: 4 });
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    callee.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
    const body = (async function* () {
      yield new Uint8Array([1, 2]);
      await gate; // the rest comes later than one turn
      yield* chunks(10, 1);
    })();
    const pending = caller.call(req, { timeoutMs: 10_000, body });
    await settle();
    expect(bus.delivered.filter((d) => d.topic === UP).map((d) => d.type)).toEqual(['request']);
    release!();
    const res = await pending;
    const got = concat(await collect(res.body));
    expect(got).toEqual([1, 2, ...concat(await collect(chunks(10, 1)))]);
    // 10 streamed chunks through a window of 4: credit came back only for DATA frames
    expect(bus.count(UP, 'data')).toBe(10);
    expect(bus.count(UP, 'end')).toBe(1);
  });
});
