import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { coalescedSender } from '../src/http/coalesced-sender.js';

describe('coalescedSender (real sockets)', () => {
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;
  let client: WebSocket | undefined;
  afterEach(async () => {
    client?.terminate();
    wss?.close();
    await new Promise((r) => server?.close(r));
  });

  it('sends the messages of one turn in one write of the socket, in order', async () => {
    const ws = new WebSocketServer({ noServer: true });
    const http = createServer();
    [wss, server] = [ws, http];
    const upgraded = new Promise<{ ws: WebSocket; socket: Socket }>((resolve) =>
      http.on('upgrade', (req, socket, head) =>
        ws.handleUpgrade(req, socket, head, (w) => resolve({ ws: w, socket: socket as Socket })),
      ),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const { port } = http.address() as { port: number };
    client = new WebSocket(`ws://127.0.0.1:${port}`);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client!.on('message', (data: Buffer) => {
        if (received.push(data.toString()) === 100) resolve();
      }),
    );
    const accepted = await upgraded;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = accepted.socket[method]!.bind(accepted.socket) as (...args: unknown[]) => void;
      (accepted.socket as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    const send = coalescedSender(accepted.ws, accepted.socket);
    const sent = Array.from({ length: 100 }, (_, i) => `event ${i}`);
    for (const message of sent) send(message);
    await all;
    expect(received).toEqual(sent);
    expect(writes).toBe(1);
  });
});
