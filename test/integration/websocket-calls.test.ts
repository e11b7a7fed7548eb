import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { stopAll } from '../helpers/processes.js';
import {
  createTokens,
  startControlPlane,
  startEdge,
  type ControlPlane,
  type Edge,
} from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** A WebSocket echo service (the `ws` server): echoes every message; `/deny` answers 403 instead of upgrading. */
interface WsEcho {
  url: string;
  /** The upgrade requests it saw: path and headers. */
  seen: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function startWsEcho(): Promise<WsEcho> {
  const seen: WsEcho['seen'] = [];
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/deny')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 6\r\nconnection: close\r\n\r\ndenied');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, binary) => ws.send(data, { binary }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Opens a WebSocket and resolves once it is open (rejects with the status of a refused upgrade). */
async function openWs(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`status ${res.statusCode}: ${body}`)));
    });
    ws.once('error', reject);
  });
  return ws;
}

/** Sends `data` and resolves with the next message. */
async function roundTrip(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; binary: boolean }> {
  const reply = new Promise<{ data: Buffer; binary: boolean }>((resolve) =>
    ws.once('message', (d: Buffer, binary: boolean) => resolve({ data: d, binary })),
  );
  ws.send(data);
  return reply;
}

// A real `ws` client and server, both ways through /call: a centre client to an edge WebSocket service through the
// gateway, and an edge app to a central one through its agent's /call.
describe('WebSockets through /call', () => {
  let cp: ControlPlane;
  let edge: Edge;
  let echo: WsEcho;

  const activeRoute = (service: string) =>
    waitFor(async () => {
      const res = await cp.api<{ routes: { state: string }[] }>(`/api/v1/routes?service=${service}`);
      return res.body.routes.some((r) => r.state === 'active');
    }, `an active route for ${service}`);

  beforeAll(async () => {
    echo = await startWsEcho();
    cp = await startControlPlane({
      config: { services: [{ name: 'central-ws', url: `${echo.url}/central` }] },
    });
    const secret = await cp.addAgent('edge-ws');
    edge = await startEdge({ id: 'edge-ws', secret, url: cp.mqttUrl, services: { 'edge-ws': echo.url } });
    await activeRoute('edge-ws');
  });

  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('carries a centre client to an edge WebSocket service through the gateway, text and binary', async () => {
    const base = cp.apiBase.replace(/^http/, 'ws');
    const ws = await openWs(`${base}/call/edge-ws/chat?room=1`, { authorization: `Bearer ${cp.token}` });
    expect((await roundTrip(ws, 'hello')).data.toString()).toBe('hello');
    const binary = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const back = await roundTrip(ws, binary);
    expect(back.binary).toBe(true);
    expect(back.data.equals(binary)).toBe(true);
    ws.close(1000, 'done');
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1000);

    const seen = echo.seen.at(-1)!;
    expect(seen.url).toBe('/chat?room=1');
    expect(seen.headers['x-tether-caller']).toBe('central:bootstrap-admin');
    expect(seen.headers['x-tether-hops']).toBe('1');
    // The Tether token that authorised the upgrade is never forwarded.
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('needs a token at the gateway, as a call does', async () => {
    const base = cp.apiBase.replace(/^http/, 'ws');
    await expect(openWs(`${base}/call/edge-ws/chat`)).rejects.toThrow(/status 401/);
  });

  it('cuts a WebSocket when the token that opened it is deleted', async () => {
    const { ws: caller } = await createTokens(cp, 'caller', ['ws']);
    const base = cp.apiBase.replace(/^http/, 'ws');
    const ws = await openWs(`${base}/call/edge-ws/chat`, { authorization: `Bearer ${caller.token}` });
    expect((await roundTrip(ws, 'hi')).data.toString()).toBe('hi');
    expect(echo.seen.at(-1)?.headers['x-tether-caller']).toBe('central:ws');
    const closed = once(ws, 'close');
    expect((await cp.api(`/api/v1/tokens/${caller.id}`, { method: 'DELETE' })).status).toBe(204);
    await closed;
  });

  it("passes the service's refusal of the upgrade through: status and body", async () => {
    const base = cp.apiBase.replace(/^http/, 'ws');
    await expect(
      openWs(`${base}/call/edge-ws/deny`, { authorization: `Bearer ${cp.token}` }),
    ).rejects.toThrow(/status 403: denied/);
  });

  it('carries an edge app to a central WebSocket service through the agent /call', async () => {
    const base = edge.apiBase.replace(/^http/, 'ws');
    const ws = await openWs(`${base}/call/central-ws/feed`);
    expect((await roundTrip(ws, 'from the edge')).data.toString()).toBe('from the edge');
    ws.close();
    const seen = echo.seen.at(-1)!;
    expect(seen.url).toBe('/central/feed');
    expect(seen.headers['x-tether-caller']).toBe('edge-ws');
    expect(seen.headers['x-tether-hops']).toBe('1');
  });

  it('closes the WebSocket when the agent link goes', async () => {
    const base = cp.apiBase.replace(/^http/, 'ws');
    const ws = await openWs(`${base}/call/edge-ws/chat`, { authorization: `Bearer ${cp.token}` });
    await roundTrip(ws, 'before');
    const closed = once(ws, 'close');
    await edge.proc.stop('SIGKILL');
    const [code] = (await closed) as [number];
    // Abnormal closure: the connection was reset, not closed with a frame.
    expect(code).toBe(1006);
  });
});
