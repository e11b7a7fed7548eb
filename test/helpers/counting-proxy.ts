import { createServer, connect, type AddressInfo, type Server } from 'node:net';

/** A loopback TCP proxy that counts the bytes flowing each way. */
export interface CountingProxy {
  port: number;
  /** Bytes client -> upstream and upstream -> client since the last reset. */
  counts(): { up: number; down: number };
  reset(): void;
  /** Cuts every open connection (new ones are still accepted): a link failure. */
  cut(): void;
  /** While on, cuts every open connection and closes new ones at once: the upstream is unreachable. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

/** Starts a counting proxy on a free port in front of `127.0.0.1:upstreamPort`. */
export async function startCountingProxy(upstreamPort: number): Promise<CountingProxy> {
  let up = 0;
  let down = 0;
  const open = new Set<() => void>();
  let refusing = false;
  const server: Server = createServer({ noDelay: true }, (client) => {
    if (refusing) return void client.destroy();
    const upstream = connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
    client.on('data', (d: Buffer) => (up += d.length));
    upstream.on('data', (d: Buffer) => (down += d.length));
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    open.add(close);
    client.once('close', () => open.delete(close));
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts: () => ({ up, down }),
    reset: () => {
      up = 0;
      down = 0;
    },
    cut: () => {
      for (const close of [...open]) close();
    },
    refuse: (on) => {
      refusing = on;
      if (on) for (const close of [...open]) close();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
