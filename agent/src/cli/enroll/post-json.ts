import { request as httpRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { secureConnect } from '../../link/tls/secure-connect.js';
import type { TlsPlan } from '../../link/tls/tls-plan.js';

/** A JSON answer: status and parsed body (undefined when it was not JSON). */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

const MAX_ANSWER = 64 * 1024;

/**
 * POSTs a JSON body and reads a JSON answer (at most 64 KiB), within `timeoutMs`. HTTPS connections are made by
 * `secureConnect` with the plan (pinning included: nothing is sent to a server that fails the check).
 */
export function postJson(url: URL, body: unknown, plan: TlsPlan, timeoutMs: number): Promise<JsonAnswer> {
  const payload = JSON.stringify(body);
  const options = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    timeout: timeoutMs,
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER) req.destroy(new Error(`answer larger than ${MAX_ANSWER} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(
            url,
            {
              ...options,
              createConnection: (o: ClientRequestArgs) =>
                secureConnect(
                  { host: o.hostname ?? o.host ?? 'localhost', port: Number(o.port ?? 443) },
                  plan,
                ),
            },
            onResponse,
          )
        : httpRequest(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
