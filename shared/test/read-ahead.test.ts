import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUpstreamClient,
  forwardHttp,
  nextTurn,
  readRequestBody,
  type SettleWindow,
  RETRY_BUFFER_BYTES,
  UpstreamError,
  type PreparedBody,
  type WholeBody,
} from '@tether/shared';

let server: http.Server;
let base: string;
let seen: PreparedBody | undefined;
let slowClosed = 0;
const upstream = createUpstreamClient({ http, https });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/read') {
      void readRequestBody(req, 1 << 20).then(async (body) => {
        seen = body;
        if (body.kind === 'stream') for await (const _ of body.body);
        res.end('ok');
      });
      return;
    }
    req.resume();
    if (url === '/small') return void res.writeHead(200, { 'content-length': '5' }).end('hello');
    if (url === '/slow') {
      res.writeHead(200);
      res.write('a');
      res.once('close', () => slowClosed++); // never ends by itself
      return;
    }
    if (url === '/chunked-quick') {
      res.writeHead(200);
      res.end('quick');
      return;
    }
    if (url === '/large')
      return void res.writeHead(200, { 'content-length': '100000' }).end(Buffer.alloc(100_000, 1));
    if (url === '/chunked') {
      res.writeHead(200);
      res.write('a');
      setTimeout(() => res.end('b'), 20);
      return;
    }
    // Declares 10 bytes, sends 5, then drops the connection.
    res.writeHead(200, { 'content-length': '10' });
    res.write('12345', () => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  upstream.destroy();
  server.close();
});

async function post(body: Uint8Array, chunked = false): Promise<PreparedBody | undefined> {
  seen = undefined;
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${base}/read`, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    if (!chunked) req.setHeader('content-length', body.byteLength);
    req.end(body);
  });
  return seen;
}

/** A GET forwarded to the test server, with the default settle window or `settle`. */
const get = (path: string, settle?: SettleWindow) =>
  forwardHttp(
    {
      baseUrl: base,
      method: 'GET',
      path,
      query: '',
      headers: [],
      body: undefined,
      signal: new AbortController().signal,
    },
    upstream,
    nextTurn,
    settle,
  );

describe('readRequestBody', () => {
  it('reads a small declared body whole, and an empty one as none', async () => {
    const body = await post(Buffer.from('hello'));
    expect(body?.kind).toBe('buffered');
    expect(body?.kind === 'buffered' && Buffer.concat(body.chunks).toString()).toBe('hello');
    expect((await post(new Uint8Array(0)))?.kind).toBe('none');
  });

  it('leaves a chunked body to prepareBody (buffered when short) and a long one to stream', async () => {
    const chunked = await post(Buffer.from('hello'), true);
    expect(chunked?.kind === 'buffered' && Buffer.concat(chunked.chunks).toString()).toBe('hello');
    expect((await post(new Uint8Array(RETRY_BUFFER_BYTES + 1)))?.kind).toBe('stream');
  });
});

describe('forwardHttp', () => {
  it('hands a small response of known length over whole', async () => {
    const res = await get('/small');
    const whole = (res.body as Partial<WholeBody>).takeWhole?.(1024);
    expect(whole && Buffer.concat(whole).toString()).toBe('hello');
  });

  it('hands a chunked response over whole when it ends within its settle window', async () => {
    const res = await get('/chunked-quick');
    const whole = (res.body as Partial<WholeBody>).takeWhole?.(1024);
    expect(whole && Buffer.concat(whole).toString()).toBe('quick');
  });

  it('streams a body over 64 KiB whole and in order, read ahead or not', async () => {
    const res = await get('/large');
    expect((res.body as Partial<WholeBody>).takeWhole).toBeUndefined();
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    const all = Buffer.concat(chunks);
    expect(all.byteLength).toBe(100_000);
    expect(all.every((b) => b === 1)).toBe(true);
  });

  it('destroys a streamed response whose reader stops early, so its connection is not reused half-read', async () => {
    const res = await get('/slow');
    const it = res.body[Symbol.asyncIterator]();
    const first = await it.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('a');
    await it.return?.();
    for (let i = 0; i < 100 && slowClosed === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(slowClosed).toBe(1);
  });

  it('waits for the end of a chunked response while its settle window is open, then hands it over whole', async () => {
    let opened = 0;
    let closed = 0;
    const never: SettleWindow = () => {
      opened++;
      return () => void closed++;
    };
    const res = await get('/chunked', never);
    const whole = (res.body as Partial<WholeBody>).takeWhole?.(1024);
    expect(whole && Buffer.concat(whole).toString()).toBe('ab');
    expect([opened, closed]).toEqual([1, 1]);
  });

  it('hands on what came when the settle window closes, and streams the rest', async () => {
    let fire: (() => void) | undefined;
    const manual: SettleWindow = (f) => {
      fire = f;
      return () => undefined;
    };
    const pending = get('/slow', manual);
    for (let i = 0; i < 100 && fire === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    fire?.();
    const res = await pending;
    expect((res.body as Partial<WholeBody>).takeWhole).toBeUndefined();
    const it = res.body[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('a');
    await it.return?.();
  });

  it('streams a chunked response as it comes', async () => {
    const res = await get('/chunked');
    expect((res.body as Partial<WholeBody>).takeWhole).toBeUndefined();
    let text = '';
    for await (const chunk of res.body) text += Buffer.from(chunk).toString();
    expect(text).toBe('ab');
  });

  it('fails with UpstreamError when a small body is cut short', async () => {
    await expect(get('/cut')).rejects.toBeInstanceOf(UpstreamError);
  });
});
