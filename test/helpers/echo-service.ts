import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the echo service saw of one request (sent back in the `x-echo-info` response header). */
export interface EchoInfo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A tiny real HTTP service in the test process. */
export interface EchoService {
  url: string;
  /** Requests seen, newest last. */
  seen: EchoInfo[];
  /** Lets `/sse` write its next event. */
  releaseNext(): void;
  /** Requests to `/hang` still open. */
  hanging(): number;
  close(): Promise<void>;
}

/**
 * Starts the echo service on a free port:
 * - `/sse`: a text/event-stream writing `data: 1`, then each next event only after `releaseNext()` (3 events);
 * - `/hang`: never answers (until the client goes away);
 * - anything else: status `?status=` (default 200), the request body streamed back, `x-echo-info` with what it saw;
 *   `?delayMs=` waits that long (at most 10 s) before answering.
 */
export async function startEchoService(): Promise<EchoService> {
  const seen: EchoInfo[] = [];
  const waiters: Array<() => void> = [];
  let releases = 0;
  let hanging = 0;
  const next = (): Promise<void> =>
    releases > 0 ? Promise.resolve(void releases--) : new Promise((r) => waiters.push(r));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const info: EchoInfo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(info);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (let i = 1; i <= 3; i++) {
        if (i > 1) await next();
        res.write(`data: ${i}\n\n`);
      }
      res.end();
      return;
    }
    if (url.pathname.endsWith('/hang')) {
      hanging++;
      res.once('close', () => hanging--);
      return;
    }
    const delayMs = Math.min(Number(url.searchParams.get('delayMs') ?? 0) || 0, 10_000);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(Number(url.searchParams.get('status') ?? 200), {
      'x-echo-info': JSON.stringify(info),
      'content-type': req.headers['content-type'] ?? 'application/octet-stream',
    });
    req.pipe(res);
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    releaseNext: () => {
      const w = waiters.shift();
      if (w) w();
      else releases++;
    },
    hanging: () => hanging,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The resident set size of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}
