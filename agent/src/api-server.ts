import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';

/** A listening HTTP server for the local API. */
export interface ApiServer {
  /** The bound port (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/** A plain node:http handler placed in front of the app; returns true when it took the request. */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Serves a hono app on host:port (after `front`, if given); rejects when the address cannot be bound. */
export async function listenApi(
  app: Hono,
  host: string,
  port: number,
  front?: FrontHandler,
): Promise<ApiServer> {
  const listener = getRequestListener(app.fetch);
  const server = createServer((req, res) => {
    if (!front?.(req, res)) void listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
