import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeFrames,
  encodeFrame,
  ProtocolError,
  TimeoutError,
  TooBusyError,
  TunnelClosedError,
  TunnelEndpoint,
  type BytePipe,
  type Frame,
  type IncomingStream,
  type OpenRequest,
  type PipeSink,
  type TunnelEndpointOptions,
} from '@tether/shared';
import { ManualClock, MemoryBus, settle } from './tunnel-fakes.js';

const UP = 'up';
const DOWN = 'down';
const tcp: OpenRequest = { protocol: 'tcp', service: 'redis', caller: 'edge-1', hops: 1 };

/** A sink that records what a pipe delivers; `paused` pipes are left paused until `resume()`. */
class Recorder implements PipeSink {
  chunks: Uint8Array[] = [];
  ended = false;
  drains = 0;
  closed: { error?: Error } | undefined;
  data(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }
  end(): void {
    this.ended = true;
  }
  drain(): void {
    this.drains++;
  }
  close(error?: Error): void {
    this.closed = error ? { error } : {};
  }
  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

let opened: TunnelEndpoint[] = [];
afterEach(async () => {
  await Promise.all(opened.map((e) => e.close()));
  opened = [];
});

async function pair(
  options: Partial<TunnelEndpointOptions> = {},
  acceptor: Partial<TunnelEndpointOptions> = {},
) {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const malformed: string[] = [];
  const refused: string[] = [];
  const common = {
    clock,
    onMalformed: (r: string) => malformed.push(r),
    streamEvents: { refused: (code: string) => refused.push(code) },
  };
  const a = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: UP,
    receiveTopic: DOWN,
    ...common,
    ...options,
  });
  const b = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: DOWN,
    receiveTopic: UP,
    ...common,
    ...options,
    ...acceptor,
  });
  await a.start();
  await b.start();
  opened.push(a, b);
  const incoming: IncomingStream[] = [];
  b.serveStreams((s) => incoming.push(s));
  return { bus, clock, a, b, malformed, refused, incoming };
}

/** Opens a stream from `a` and accepts it at `b`; both ends attached to recorders. */
async function connected(p: Awaited<ReturnType<typeof pair>>) {
  const opening = p.a.openStream(tcp, { timeoutMs: 1000 });
  await settle();
  const incoming = p.incoming.at(-1)!;
  incoming.accept({});
  const { stream: near, accept } = await opening;
  const far = incoming.stream;
  const nearSink = new Recorder();
  const farSink = new Recorder();
  near.attach(nearSink);
  far.attach(farSink);
  return { near, far, nearSink, farSink, accept, head: incoming.head };
}

describe('tunnel streams', () => {
  it('carries bytes both ways, half-closes each direction and ends when both are shut', async () => {
    const p = await pair();
    const { near, far, nearSink, farSink, accept, head } = await connected(p);
    expect(accept).toEqual({});
    expect(head).toEqual({ ...tcp, timeoutMs: 1000 });
    near.write(Buffer.from('PING\r\n'));
    await settle();
    expect(farSink.text()).toBe('PING\r\n');
    near.end();
    await settle();
    expect(farSink.ended).toBe(true);
    // Half-closed: the other direction still flows.
    far.write(Buffer.from('+PONG\r\n'));
    await settle();
    expect(nearSink.text()).toBe('+PONG\r\n');
    expect(nearSink.closed).toBeUndefined();
    far.end();
    await settle();
    expect(nearSink).toMatchObject({ ended: true, closed: {} });
    expect(farSink.closed).toEqual({});
    expect(p.a.stats.streams).toBe(0);
    expect(p.b.stats.streams).toBe(0);
  });

  it('holds a sender to the window while the reader does not read, then delivers everything in order', async () => {
    const window = 64 * 1024;
    const p = await pair({ streams: { window } });
    const { near, far, farSink } = await connected(p);
    far.pause();
    const chunk = Buffer.alloc(16 * 1024, 1);
    let accepted = 0;
    let refusedAt = -1;
    for (let i = 0; i < 40; i++) {
      if (!near.write(Buffer.alloc(chunk.byteLength, i))) {
        refusedAt = i;
        break;
      }
      accepted++;
    }
    await settle();
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    expect(farSink.bytes).toBe(0);
    // Exactly one window travelled; the rest waits at the sender.
    const sent = p.bus.delivered.filter((d) => d.topic === UP && d.type === 'bytes').length;
    expect(sent * chunk.byteLength).toBe(window);
    far.resume();
    await settle();
    expect(farSink.bytes).toBe((accepted + 1) * chunk.byteLength);
    expect(farSink.chunks.map((c) => c[0])).toEqual(Array.from({ length: accepted + 1 }, (_, i) => i));
  });

  it('tells a blocked writer to go on once the reader granted credit', async () => {
    const p = await pair({ streams: { window: 4096 } });
    const { near, nearSink, farSink } = await connected(p);
    expect(near.write(Buffer.alloc(8192, 2))).toBe(false);
    await settle();
    expect(nearSink.drains).toBe(1);
    expect(farSink.bytes).toBe(8192);
  });

  it('caps the streams open at once, on both sides', async () => {
    const p = await pair({ streams: { maxStreams: 3 } }, { streams: { maxStreams: 1 } });
    await connected(p);
    // The acceptor is at its cap: it refuses with too_busy.
    const second = p.a.openStream(tcp, { timeoutMs: 1000 });
    await expect(second).rejects.toBeInstanceOf(TooBusyError);
    expect(p.refused).toContain('too_busy');
    expect(p.incoming).toHaveLength(1);
    // The opener at its own cap refuses before sending anything.
    const q = await pair({ streams: { maxStreams: 1 } });
    await connected(q);
    await expect(q.a.openStream(tcp, { timeoutMs: 1000 })).rejects.toBeInstanceOf(TooBusyError);
    expect(q.incoming).toHaveLength(1);
  });

  it('passes a refusal to the opener with its code, and enforces the open deadline on both sides', async () => {
    const p = await pair();
    const refusedOpen = p.a.openStream(tcp, { timeoutMs: 1000 });
    await settle();
    p.incoming[0]!.refuse(new ProtocolError('no'));
    await expect(refusedOpen).rejects.toMatchObject({ code: 'protocol_error' });

    const late = p.a.openStream(tcp, { timeoutMs: 500 });
    await settle();
    const pending = p.incoming[1]!;
    p.clock.advance(500);
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await settle();
    expect(pending.signal.aborted).toBe(true);
    expect(p.a.stats.streams + p.b.stats.streams).toBe(0);
  });

  it('resets the other end at once: by RESET, and every stream when the link fails', async () => {
    const p = await pair();
    const one = await connected(p);
    one.near.reset(new ProtocolError('client went away'));
    await settle();
    expect(one.farSink.closed?.error).toMatchObject({ code: 'protocol_error' });

    const two = await connected(p);
    const pendingOpen = p.a.openStream(tcp, { timeoutMs: 1000 });
    await settle();
    p.b.fail(new TunnelClosedError('agent revoked'));
    expect(two.farSink.closed?.error).toBeInstanceOf(TunnelClosedError);
    p.a.fail(new TunnelClosedError('link lost'));
    expect(two.nearSink.closed?.error).toBeInstanceOf(TunnelClosedError);
    await expect(pendingOpen).rejects.toBeInstanceOf(TunnelClosedError);
    expect(p.a.stats.streams + p.b.stats.streams).toBe(0);
  });
});

describe('tunnel streams against a hostile peer', () => {
  /** One endpoint (as acceptor) and a raw way to send it frames. */
  async function hostile(window = 4096) {
    const bus = new MemoryBus();
    const clock = new ManualClock();
    const malformed: string[] = [];
    const target = new TunnelEndpoint({
      transport: bus.transport(),
      sendTopic: DOWN,
      receiveTopic: UP,
      clock,
      onMalformed: (r) => malformed.push(r),
      streams: { window },
    });
    await target.start();
    opened.push(target);
    const raw = bus.transport();
    const answers: Frame[] = [];
    await raw.subscribe(DOWN, (_t, payload) => {
      for (const d of decodeFrames(payload)) if (d.ok) answers.push(d.frame);
    });
    const send = (frame: Frame): Promise<void> => raw.publish(UP, encodeFrame(frame));
    const sinks: Recorder[] = [];
    target.serveStreams((s) => {
      s.accept({});
      const sink = new Recorder();
      sinks.push(sink);
      (s.stream as BytePipe).attach(sink);
    });
    return { target, send, answers, malformed, sinks };
  }

  const open = (id: number, header: object = { ...tcp, timeoutMs: 1000 }): Frame =>
    ({ type: 'open', id, fromCaller: true, header }) as Frame;

  it('resets a stream whose peer sends beyond the window, grants more than it may, or sends after SHUT', async () => {
    const h = await hostile(4096);
    await h.send(open(1));
    await h.send(open(2));
    await h.send(open(3));
    await settle();
    await h.send({ type: 'bytes', id: 1, fromCaller: true, body: new Uint8Array(4097) });
    await h.send({ type: 'grant', id: 2, fromCaller: true, header: { n: 1 } });
    await h.send({ type: 'shut', id: 3, fromCaller: true });
    await h.send({ type: 'bytes', id: 3, fromCaller: true, body: new Uint8Array(1) });
    await settle();
    expect(h.malformed).toEqual(
      expect.arrayContaining(['stream_window_exceeded', 'stream_grant_exceeded', 'stream_bytes_after_shut']),
    );
    const resets = h.answers.filter((f) => f.type === 'reset').map((f) => f.id);
    expect(resets.sort()).toEqual([1, 2, 3]);
    expect(h.sinks.map((s) => s.closed?.error)).toEqual([
      expect.any(ProtocolError),
      expect.any(ProtocolError),
      expect.any(ProtocolError),
    ]);
    expect(h.target.stats.streams).toBe(0);
  });

  it('answers an OPEN with a header it refuses (a raw line break, a dot segment) with a RESET, never serving it', async () => {
    const h = await hostile();
    const http = {
      ...tcp,
      protocol: 'http',
      method: 'GET',
      path: '/ws',
      query: '',
      headers: [],
      upgrade: 'websocket',
      timeoutMs: 1000,
    };
    await h.send(open(5, { ...http, headers: [['x', 'a\r\nInjected: yes']] }));
    await h.send(open(6, { ...http, path: '/a/../admin' }));
    await h.send(open(7, { ...http, method: 'CONNECT' }));
    await h.send(open(8, { ...tcp, timeoutMs: 1000, extra: 1 }));
    await h.send(open(9, { ...http, upgrade: 'websocket\r\nx: y' }));
    await settle();
    expect(h.sinks).toHaveLength(0);
    const resets = h.answers.filter((f) => f.type === 'reset');
    expect(resets.map((f) => f.id)).toEqual([5, 6, 7, 8, 9]);
    expect(resets.every((f) => f.type === 'reset' && f.header.code === 'invalid_request')).toBe(true);
  });
});
