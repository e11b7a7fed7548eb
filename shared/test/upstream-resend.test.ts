import * as http from 'node:http';
import * as https from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  forwardHttp,
  mayResend,
  UpstreamError,
  type UpstreamRequest,
} from '@tether/shared';

/**
 * A raw HTTP/1.1 service over node:net that answers the first request of each connection with keep-alive and no
 * Keep-Alive hint, and closes the connection when a second request arrives on it, unanswered: what a service does
 * when its idle timeout fires just as our pool reuses the socket. `/die` closes even a first request.
 */
let server: Server;
let base: string;
let connections = 0;
const answered: string[] = [];

beforeAll(async () => {
  server = createServer((socket: Socket) => {
    connections++;
    let served = 0;
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let i = 0; i < 100; i++) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.slice(end + 4 + length);
        const line = head.slice(0, head.indexOf('\r\n'));
        if (served++ > 0 || line.includes(' /die ')) return void socket.destroy();
        answered.push(line);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

/** A body in the chunks given, whole at once (as a short body comes from the gateway or the tunnel). */
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

function request(method: string, path: string, body?: AsyncIterable<Uint8Array>): UpstreamRequest {
  return { baseUrl: base, method, path, query: '', headers: [], body, signal: new AbortController().signal };
}

/** Sends `first` on a fresh pool, then `second` on the socket it left in the pool. */
async function reuse(first: UpstreamRequest, second: UpstreamRequest): Promise<number | Error> {
  const upstream = createUpstreamClient({ http, https });
  try {
    const res = await forwardHttp(first, upstream);
    for await (const _ of res.body);
    return await forwardHttp(second, upstream).then(
      (r) => r.status,
      (err: Error) => err,
    );
  } finally {
    upstream.destroy();
  }
}

describe('forwardHttp on a pooled socket the service has closed', () => {
  it('sends an idempotent request once more on a new socket (GET, and PUT with a whole body)', async () => {
    connections = 0;
    answered.length = 0;
    expect(await reuse(request('GET', '/a'), request('GET', '/b'))).toBe(200);
    expect(await reuse(request('GET', '/a'), request('PUT', '/c', chunks(Buffer.from('x'))))).toBe(200);
    expect(answered).toEqual(['GET /a HTTP/1.1', 'GET /b HTTP/1.1', 'GET /a HTTP/1.1', 'PUT /c HTTP/1.1']);
    expect(connections).toBe(4);
  });

  it('never sends a POST twice: the service may have acted on it', async () => {
    answered.length = 0;
    const result = await reuse(request('GET', '/a'), request('POST', '/p', chunks(Buffer.from('x'))));
    expect(result).toBeInstanceOf(UpstreamError);
    expect(answered).toEqual(['GET /a HTTP/1.1']);
  });

  it('does not resend a streamed body (no longer in memory) nor a failure on a fresh socket', async () => {
    answered.length = 0;
    const big = Buffer.alloc(64 * 1024, 1);
    const streamed = await reuse(request('GET', '/a'), request('PUT', '/s', chunks(big, big)));
    expect(streamed).toBeInstanceOf(UpstreamError);
    const upstream = createUpstreamClient({ http, https });
    await expect(forwardHttp(request('GET', '/die'), upstream)).rejects.toBeInstanceOf(UpstreamError);
    upstream.destroy();
    expect(answered).toEqual(['GET /a HTTP/1.1']);
  });
});

describe('the upstream pool', () => {
  it("closes an idle socket before the service's Keep-Alive hint says the service will", async () => {
    let sockets = 0;
    const service = http.createServer((_, res) => res.end('ok'));
    service.keepAliveTimeout = 2_000; // hints timeout=2: the pool keeps an idle socket 1 s
    service.on('connection', () => sockets++);
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    const upstream = createUpstreamClient({ http, https });
    const get = async (): Promise<void> => {
      const at = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
      const res = await forwardHttp({ ...request('GET', '/'), baseUrl: at }, upstream);
      for await (const _ of res.body);
    };
    try {
      await get();
      await get(); // at once: the pooled socket is reused
      await new Promise((r) => setTimeout(r, 1_300)); // past the hint less a second, before the service's 2 s
      await get();
      expect(sockets).toBe(2);
    } finally {
      upstream.destroy();
      service.close();
    }
  });
});

describe('mayResend', () => {
  const reset = { reusedSocket: true, responded: false, code: 'ECONNRESET' };
  it.each([
    ['a reset reused socket, GET', reset, 'GET', true],
    ['EPIPE, DELETE', { ...reset, code: 'EPIPE' }, 'DELETE', true],
    ['POST', reset, 'POST', false],
    ['PATCH', reset, 'PATCH', false],
    ['a fresh socket', { ...reset, reusedSocket: false }, 'GET', false],
    ['after a response began', { ...reset, responded: true }, 'GET', false],
    ['refused, not reset', { ...reset, code: 'ECONNREFUSED' }, 'GET', false],
    ['no code', { ...reset, code: undefined }, 'GET', false],
  ])('%s -> %s', (_, failure, method, expected) => {
    expect(mayResend(failure, method)).toBe(expected);
  });
});
