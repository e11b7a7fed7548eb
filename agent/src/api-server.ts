import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

/** A listening HTTP server for the local API. */
export interface ApiServer {
  /** The bound port (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/** Serves a hono app on host:port; rejects when the address cannot be bound. */
export async function listenApi(app: Hono, host: string, port: number): Promise<ApiServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
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
