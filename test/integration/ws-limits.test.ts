import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll, tempDir } from '../helpers/processes.js';
import { fixedHeader } from '../helpers/raw-socket.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';

/** A raw socket that completed a WebSocket upgrade to `/mqtt` (subprotocol mqtt), as any client could. */
async function upgradedSocket(cp: ControlPlane): Promise<{ socket: Socket; closed: () => boolean }> {
  const url = new URL(cp.wsUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  let closed = false;
  socket.once('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `GET /mqtt HTTP/1.1\r\nhost: ${url.host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
          `sec-websocket-key: ${randomBytes(16).toString('base64')}\r\nsec-websocket-version: 13\r\n` +
          'sec-websocket-protocol: mqtt\r\n\r\n',
      );
    });
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
  return { socket, closed: () => closed };
}

/** A masked binary WebSocket frame header declaring `length` payload bytes (64-bit length form). */
function frameHeader(length: number): Buffer {
  const head = Buffer.alloc(14);
  head[0] = 0x82;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(head, 10);
  return head;
}

/** Sends `bytes`, then waits (at most `ms`) for the server to close the socket; whether it did. */
async function sendThenAwaitClose(
  s: { socket: Socket; closed: () => boolean },
  bytes: Buffer,
  ms: number,
): Promise<boolean> {
  s.socket.write(bytes);
  for (let waited = 0; waited < ms && !s.closed(); waited += 25) await new Promise((r) => setTimeout(r, 25));
  return s.closed();
}

describe('MQTT over WebSocket keeps the pre-authentication limits of MQTT over TCP', () => {
  let cp: ControlPlane;
  beforeAll(async () => (cp = await startControlPlane()));
  afterAll(() => stopAll());

  it('cuts a connection whose first frame declares 200 MB, instead of reading and discarding it', async () => {
    const s = await upgradedSocket(cp);
    s.socket.write(frameHeader(200 * 1024 * 1024));
    // A server that drained the frame would wait for the other 199 MB (or its 30 s close timeout).
    expect(await sendThenAwaitClose(s, Buffer.alloc(1024 * 1024), 5_000)).toBe(true);
  });

  it('counts WebSocket bytes before CONNECT: a frame under maxPayload but over the pre-CONNECT cap is cut midway', async () => {
    const s = await upgradedSocket(cp);
    // One 300 KiB frame holding the start of a CONNECT that declares 250 KiB (under the packet limit).
    s.socket.write(frameHeader(300 * 1024));
    // 20 KiB of the frame: over the 16 KiB cap, far from its end. A server that buffers whole frames waits for
    // the rest (or for the 10 s CONNECT deadline); one that counts raw bytes closes now.
    const start = Buffer.concat([fixedHeader(0x10, 250 * 1024), Buffer.alloc(20 * 1024)]);
    expect(await sendThenAwaitClose(s, start, 5_000)).toBe(true);
  });

  it('still serves an honest client (the API stays up)', async () => {
    expect((await cp.api('/readyz')).status).toBe(200);
  });
});

describe('the data dir', () => {
  afterAll(() => stopAll());

  it('is made 0700 at start when it already exists with a wider mode', async () => {
    const dir = join(tempDir('tether-mode-'), 'data');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const cp = await startControlPlane({ dataDir: dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await cp.api('/readyz')).status).toBe(200);
  });
});
