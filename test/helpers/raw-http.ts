import { connect } from 'node:net';

/** One HTTP/1.1 request as bytes: the target is sent exactly as given (no normalisation, unlike fetch). */
export interface RawRequest {
  method?: string;
  target: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The answer to a raw request. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request over node:net to `base` (`http://host:port`) with `connection: close` and reads the whole
 * answer. The request line, headers and body go out byte for byte; `host` defaults to the base's.
 */
export function rawHttp(base: string, req: RawRequest, timeoutMs = 5_000): Promise<RawResponse> {
  const url = new URL(base);
  const headers: Record<string, string> = { host: url.host, connection: 'close', ...req.headers };
  if (req.body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(req.body));
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const bytes = Buffer.concat([
    Buffer.from(`${req.method ?? 'GET'} ${req.target} HTTP/1.1\r\n${head}\r\n`, 'latin1'),
    Buffer.from(req.body ?? '', 'utf8'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${req.method ?? 'GET'} ${req.target} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes)); // no half-close: the server ends the connection (connection: close)
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split < 0 ? text.length : split).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const out: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = split < 0 ? '' : text.slice(split + 4);
      if (out['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status, headers: out, body });
    });
  });
}

function dechunk(text: string): string {
  let out = '';
  let i = 0;
  for (let n = 0; n < 100_000 && i < text.length; n++) {
    const eol = text.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(text.slice(i, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += text.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
  return out;
}
