import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingCall } from '@tether/shared';
import { settle } from './tunnel-fakes.js';
import { chunks, closePairs, collect, concat, DOWN, pair, req, streaming, UP } from './tunnel-pair.js';

afterEach(closePairs);

describe('TunnelEndpoint carries calls', () => {
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
