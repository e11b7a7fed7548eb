import { afterEach, describe, expect, it } from 'vitest';
import {
  type CancelSignal,
  Cancellation,
  CallCancelledError,
  ForbiddenError,
  TimeoutError,
  TooBusyError,
  TunnelClosedError,
  TunnelEndpoint,
  decodeFrames,
  encodeFrame,
  type Frame,
} from '@tether/shared';
import { ManualClock, MemoryBus, settle } from './tunnel-fakes.js';
import { closePairs, collect, DOWN, pair, req, track, UP } from './tunnel-pair.js';

afterEach(closePairs);

describe('TunnelEndpoint fails calls', () => {
  it('times out locally with TimeoutError and cancels the far side', async () => {
    const { caller, callee, clock, bus } = await pair();
    let signal: CancelSignal | undefined;
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
    track(caller, callee);
    await caller.start();
    await callee.start();
    let signal: CancelSignal | undefined;
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
    let signal: CancelSignal | undefined;
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

  it('cancels a call aborted while its body was read ahead: no REQUEST, and its slot is free again', async () => {
    const { caller, callee, bus } = await pair({ maxInFlight: 1 });
    callee.serve(async () => ({ status: 200, headers: [] }));
    const cancel = new Cancellation();
    const slowBody = (async function* () {
      await new Promise(() => undefined); // no first chunk within the read-ahead turn
      yield new Uint8Array(1);
    })();
    const pending = caller.call(req, { timeoutMs: 10_000, signal: cancel.signal, body: slowBody });
    cancel.abort(new Error('gone'));
    await expect(pending).rejects.toBeInstanceOf(CallCancelledError);
    await settle();
    expect(bus.count(UP, 'request')).toBe(0);
    await expect(caller.call(req, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 200 });
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
});

describe('TunnelEndpoint against a callee that breaks the frame order', () => {
  it('fails a call at once when its body or END comes before the response head', async () => {
    for (const type of ['data', 'end'] as const) {
      const bus = new MemoryBus();
      const malformed: string[] = [];
      const caller = new TunnelEndpoint({
        transport: bus.transport(),
        sendTopic: UP,
        receiveTopic: DOWN,
        clock: new ManualClock(),
        onMalformed: (r) => malformed.push(r),
      });
      await caller.start();
      track(caller);
      const raw = bus.transport();
      const ids: number[] = [];
      await raw.subscribe(UP, (_t, payload) => {
        for (const d of decodeFrames(payload)) if (d.ok && d.frame.type === 'request') ids.push(d.frame.id);
      });
      const pending = caller.call(req, { timeoutMs: 30_000 });
      await settle();
      const id = ids[0]!;
      const frame: Frame =
        type === 'data'
          ? { type: 'data', id, fromCaller: false, body: new Uint8Array(3) }
          : { type: 'end', id, fromCaller: false };
      await raw.publish(DOWN, encodeFrame(frame));
      // No clock moves: before, the call waited for its 30 s deadline.
      const outcome = await Promise.race([
        pending.then(
          () => 'answered',
          (err: unknown) => err,
        ),
        settle().then(() => 'still waiting'),
      ]);
      expect(outcome).toMatchObject({ code: 'protocol_error' });
      expect(malformed).toEqual([`${type}_before_response`]);
      await settle();
      expect(bus.count(UP, 'cancel')).toBe(1);
    }
  });
});
