import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import {
  forwardableHeaders,
  headerRecord,
  UpstreamError,
  type HeaderList,
  type TunnelResponse,
} from '@tether/shared';

/** Keep-alive agents for upstream HTTP calls. */
export interface UpstreamAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Creates keep-alive agents for upstream calls. */
export function createUpstreamAgents(): UpstreamAgents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256, noDelay: true }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256, noDelay: true }),
  };
}

/** One upstream HTTP request: where, what, and the headers already prepared (Tether's own included). */
export interface UpstreamRequest {
  baseUrl: string;
  method: string;
  path: string;
  query: string;
  headers: HeaderList;
  body: AsyncIterable<Uint8Array> | undefined;
  signal: AbortSignal;
}

/** Streams a request to `baseUrl + path` and resolves with the response head; the body streams after. */
export function forwardHttp(req: UpstreamRequest, agents: UpstreamAgents): Promise<TunnelResponse> {
  const base = new URL(req.baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const secure = base.protocol === 'https:';
  return new Promise<TunnelResponse>((resolve, reject) => {
    let bodyError: Error | undefined;
    const out = (secure ? httpsRequest : httpRequest)({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (secure ? 443 : 80),
      method: req.method,
      path: `${prefix}${req.path}${req.query ? `?${req.query}` : ''}`,
      headers: headerRecord(req.headers),
      agent: secure ? agents.https : agents.http,
      signal: req.signal,
    });
    out.once('response', (res: IncomingMessage) =>
      resolve({ status: res.statusCode ?? 502, headers: forwardableHeaders(res.rawHeaders), body: res }),
    );
    out.once('error', (err) => {
      if (req.signal.aborted) return reject(req.signal.reason as Error);
      if (bodyError !== undefined) return reject(bodyError);
      reject(new UpstreamError(`upstream ${base.host} failed: ${err.message}`, { cause: err }));
    });
    if (!req.body) {
      out.end();
      return;
    }
    const body = req.body;
    void (async () => {
      try {
        for await (const chunk of body) {
          if (!out.write(chunk)) await drained(out);
          if (out.destroyed) return;
        }
        out.end();
      } catch (err) {
        bodyError = err instanceof Error ? err : new Error(String(err));
        out.destroy(bodyError);
      }
    })();
  });
}

/** Resolves when a writable drains or closes. */
export function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
