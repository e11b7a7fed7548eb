/**
 * Raw TCP clients of Tether's listeners (test/integration/tcp-*.test.ts): a listener opened through the API, a
 * connection to it, a Redis PING through it, and how the connection closed.
 */
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { startEdge, type ControlPlane } from './tether.js';
import { waitFor } from './wait.js';

/** A listener as `/api/v1/listeners` and the agent's `/v1/listeners` show it. */
export interface ListenerView {
  port: number;
  service: string;
  connections: number;
}

/** Resolves once the socket is closed, telling whether it was reset (an error) rather than ended cleanly. */
export function closed(socket: Socket): Promise<{ error: string | undefined }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.once('close', () => resolve({ error }));
  });
}

/** A raw connection to `port`, once connected. */
export async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Sends a RESP PING on `socket` and waits for +PONG. */
export async function ping(socket: Socket): Promise<void> {
  const pong = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('PONG')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before PONG')));
  });
  socket.write('PING\r\n');
  await pong;
}

/** Resolves once the control plane has an active route for `service`. */
export function activeRoute(cp: ControlPlane, service: string): Promise<boolean> {
  return waitFor(async () => {
    const res = await cp.api<{ routes: { state: string }[] }>(`/api/v1/routes?service=${service}`);
    return res.body.routes.some((r) => r.state === 'active');
  }, `an active route for ${service}`);
}

/** Opens a control-plane listener for `service` on a free port; its port. */
export async function addListener(cp: ControlPlane, service: string): Promise<number> {
  const res = await cp.api<ListenerView>('/api/v1/listeners', {
    method: 'POST',
    body: JSON.stringify({ service, port: 0 }),
  });
  expect(res.status).toBe(201);
  return res.body.port;
}

/** Starts agent `id` offering `service` (the TCP service at `port`), then a control-plane listener for it; its port. */
export async function listenToEdgeService(
  cp: ControlPlane,
  id: string,
  service: string,
  port: number,
): Promise<number> {
  const secret = await cp.addAgent(id);
  await startEdge({ id, secret, url: cp.mqttUrl, services: { [service]: `tcp://127.0.0.1:${port}` } });
  await activeRoute(cp, service);
  return addListener(cp, service);
}
