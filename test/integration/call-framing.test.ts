import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advertTopic,
  decodeFrames,
  encodeFrame,
  tunnelDownTopic,
  tunnelUpTopic,
  type Frame,
} from '@tether/shared';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { connectRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import {
  createTokens,
  startControlPlane,
  startEdge,
  type ControlPlane,
  type Edge,
} from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// Behind the front door: framing, paths and credentials on the way to a service, against hostile callers and
// agents (a review's findings; each test failed before the fix).
describe('the call path against hostile callers and agents', () => {
  let cp: ControlPlane;
  let echo: EchoService;
  let edge: Edge;
  let hostileSecret: string;
  const API_TOKEN = 'local-api-token-0123456789';

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane({ config: { services: [{ name: 'scoped', url: `${echo.url}/public` }] } });
    const [e, h] = await Promise.all([cp.addAgent('edge-t'), cp.addAgent('hostile')]);
    hostileSecret = h;
    edge = await startEdge({
      id: 'edge-t',
      secret: e,
      url: cp.mqttUrl,
      env: { TETHER_API_TOKEN: API_TOKEN },
    });
  });

  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  /** Sends one REQUEST up the tunnel as an authenticated (hostile) agent; the first RESPONSE or ERROR back. */
  async function rawTunnelCall(
    path: string,
    headers: [string, string][] = [],
    body?: Uint8Array,
    query = '',
  ): Promise<Frame> {
    const conn = await connectRaw(cp.mqttUrl, 'hostile', hostileSecret);
    if (!conn.ok) throw new Error(conn.error);
    const client = conn.client;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) =>
        client.subscribe(tunnelDownTopic('hostile'), (err) => (err ? reject(err) : resolve())),
      );
      const answer = new Promise<Frame>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to the REQUEST for ${path} within 15 s`)),
          15_000,
        );
        client.on('message', (_t, payload) => {
          for (const r of decodeFrames(new Uint8Array(payload)))
            if (r.ok && (r.frame.type === 'response' || r.frame.type === 'error')) resolve(r.frame);
        });
      });
      const request: Frame = {
        type: 'request',
        id: 1,
        fromCaller: true,
        end: true,
        ...(body ? { body } : {}),
        header: {
          service: 'scoped',
          method: 'GET',
          path,
          query,
          headers,
          timeoutMs: 5_000,
          caller: 'hostile',
          hops: 1,
          body: true,
        },
      };
      client.publish(tunnelUpTopic('hostile'), Buffer.from(encodeFrame(request)));
      return await answer;
    } finally {
      clearTimeout(timer);
      client.end(true);
    }
  }

  it('the hub refuses a non-canonical path an agent sends up its tunnel (no escaping a central base path)', async () => {
    for (const path of ['/../admin', '/%2e%2e/admin', 'admin', 'http://169.254.169.254/']) {
      const before = echo.seen.length;
      const frame = await rawTunnelCall(path);
      const forwarded = echo.seen.slice(before).map((s) => s.url);
      // Today: RESPONSE 200 and the central service sees /public/../admin, /public%2e..., /publicadmin...
      expect({ path, forwarded }).toEqual({ path, forwarded: [] });
      expect(frame.type).toBe('error');
      if (frame.type === 'error') expect(frame.header.status).toBe(400);
    }
  });

  it('answers a call an agent sends the moment it connects, while the commit recording the connection lands', async () => {
    // The call is still at the service when the connection's commit (a few ms later) tells the event stream the
    // agent is online. Before the fix that event dropped the new tunnel with the calls on it: no answer, ever.
    for (let i = 0; i < 3; i++) {
      const frame = await rawTunnelCall('/slow', [], undefined, 'delayMs=150');
      expect(frame.type).toBe('response');
      if (frame.type === 'response') expect(frame.header.status).toBe(200);
    }
  });

  it('the hub does not forward an agent-declared content-length that disagrees with the body it sent', async () => {
    const before = echo.seen.length;
    const smuggled = 'GET /smuggled-by-agent HTTP/1.1\r\nhost: x\r\nx-tether-caller: central:forged\r\n\r\n';
    await rawTunnelCall('/x', [['content-length', '0']], new TextEncoder().encode(smuggled));
    await new Promise((r) => setTimeout(r, 300));
    // Today: ['/public/x', '/smuggled-by-agent'].
    expect(echo.seen.slice(before).map((s) => s.url)).toEqual(['/public/x']);
  });

  it("a hostile agent's response cannot carry a second HTTP response onto the caller's keep-alive connection", async () => {
    const conn = await connectRaw(cp.mqttUrl, 'hostile', hostileSecret);
    if (!conn.ok) throw new Error(conn.error);
    const agent = conn.client;
    try {
      await new Promise<void>((resolve, reject) =>
        agent.subscribe(tunnelDownTopic('hostile'), (err) => (err ? reject(err) : resolve())),
      );
      agent.on('message', (_t, payload) => {
        for (const r of decodeFrames(new Uint8Array(payload))) {
          if (!r.ok || r.frame.type !== 'request') continue;
          // Declares 2 bytes, sends 2 bytes and a whole forged response after them.
          const body = 'hiHTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nPOISON!';
          const reply: Frame = {
            type: 'response',
            id: r.frame.id,
            fromCaller: false,
            end: true,
            body: new TextEncoder().encode(body),
            header: { status: 200, headers: [['content-length', '2']] },
          };
          agent.publish(tunnelUpTopic('hostile'), Buffer.from(encodeFrame(reply)));
        }
      });
      agent.publish(
        advertTopic('hostile'),
        JSON.stringify({
          v: 1,
          type: 'advert-snapshot',
          epoch: 'e1',
          seq: 0,
          strategy: 'local',
          site: 'default',
          labels: {},
          routes: [
            {
              service: 'hostile-svc',
              address: 'http://127.0.0.1:9',
              origin: 'hostile',
              originKind: 'local',
              site: 'default',
              labels: {},
              metric: 1,
              state: 'active',
              version: 1,
            },
          ],
        }),
        { qos: 1 },
      );
      await waitFor(async () => {
        const res = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=hostile-svc');
        return res.body.routes.some((r) => r.state === 'active');
      }, 'the hostile route');
      const url = new URL(cp.apiBase);
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => undefined);
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(
        `GET /call/hostile-svc/a HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${cp.token}\r\n\r\n`,
      );
      await waitFor(() => received.includes('hi'), 'the first response');
      // The caller's next request on the same connection (any route: here the health probe).
      socket.write(`GET /healthz HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n\r\n`);
      await new Promise<void>((r) => socket.once('close', () => r()));
      // Before the fix the /healthz request was answered "POISON!" (the forged response), its real answer third.
      // Now the first response carries exactly the bytes the agent sent as its body, and the second is /healthz's.
      const headEnd = received.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(received.slice(0, headEnd))?.[1]);
      const body = received.slice(headEnd + 4, headEnd + 4 + length);
      expect(body).toBe('hiHTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nPOISON!');
      const second = received.slice(headEnd + 4 + length);
      expect(second.startsWith('HTTP/1.1 200 OK')).toBe(true);
      expect(second.slice(second.indexOf('\r\n\r\n') + 4)).toBe('{"status":"ok"}');
    } finally {
      agent.end(true);
    }
  });

  it("the agent's local API token is not forwarded to the service its /call reaches", async () => {
    await waitFor(async () => {
      const res = await fetch(`${edge.apiBase}/call/scoped/x`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      return res.status === 200;
    }, 'the central service reachable through the agent');
    const seen = echo.seen.at(-1)!;
    expect(seen.url).toBe('/public/x');
    // Today: the service receives `authorization: Bearer local-api-token-...`.
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('a GET with a chunked body over 64 KiB is not written unframed to the service (no request smuggling)', async () => {
    const pad = 'P'.repeat(70_000);
    const inner =
      `POST /padding HTTP/1.1\r\nhost: x\r\ncontent-length: ${pad.length}\r\n\r\n${pad}` +
      'GET /smuggled HTTP/1.1\r\nhost: x\r\nx-tether-caller: central:forged\r\n\r\n';
    let chunked = '';
    for (let i = 0; i < inner.length; i += 30_000) {
      const part = inner.slice(i, i + 30_000);
      chunked += `${part.length.toString(16)}\r\n${part}\r\n`;
    }
    chunked += '0\r\n\r\n';
    const url = new URL(cp.apiBase);
    const before = echo.seen.length;
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write(
          `GET /call/scoped/x HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${cp.token}\r\n` +
            `transfer-encoding: chunked\r\nconnection: close\r\n\r\n${chunked}`,
        ),
      );
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.once('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    const urls = echo.seen.slice(before).map((s) => s.url);
    // Today: ['/public/x', '/padding', '/smuggled']: the body became two more requests, one with a forged caller.
    expect(urls).not.toContain('/smuggled');
    expect(urls).not.toContain('/padding');
  });

  it('a viewer cannot make the control plane buffer a large WebSocket message on the event stream', async () => {
    const { viewer } = await createTokens(cp, 'viewer', ['viewer'] as const);
    const url = new URL(cp.apiBase);
    const socket: Socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    let closed = false;
    socket.once('close', () => (closed = true));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () =>
        socket.write(
          `GET /api/v1/events HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${viewer.token}\r\n` +
            `upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${randomBytes(16).toString('base64')}\r\n` +
            'sec-websocket-version: 13\r\nsec-websocket-protocol: tether.v1\r\n\r\n',
        ),
      );
      let head = '';
      const onData = (d: Buffer): void => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(head.split('\r\n')[0]));
      };
      socket.on('data', onData);
    });
    // One binary frame declaring 8 MiB; the stream takes no client messages, so a small cap must cut it.
    const frame = Buffer.alloc(14);
    frame[0] = 0x82;
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(8 * 1024 * 1024), 2);
    socket.write(Buffer.concat([frame, Buffer.alloc(1024 * 1024)]));
    for (let waited = 0; waited < 2_000 && !closed; waited += 25) await new Promise((r) => setTimeout(r, 25));
    socket.destroy();
    // Today: ws's default maxPayload (100 MiB) applies, the server keeps reading and buffering.
    expect(closed).toBe(true);
  });
});
