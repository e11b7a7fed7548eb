import type * as NodeHttp from 'node:http';
import type * as NodeHttps from 'node:https';

/** node:http and node:https, handed in by the package that owns the sockets (shared imports none). */
export interface HttpModules {
  http: Pick<typeof NodeHttp, 'request' | 'Agent'>;
  https: Pick<typeof NodeHttps, 'request' | 'Agent'>;
}

/** Upstream HTTP(S) with keep-alive connection pools. */
export interface UpstreamClient {
  /** Starts one request (`secure` picks https). */
  request(secure: boolean, options: NodeHttp.RequestOptions): NodeHttp.ClientRequest;
  /** Closes the pooled connections. */
  destroy(): void;
}

/**
 * How long a pooled socket may sit idle, below common services' keep-alive timeouts (node's 5 s), so that we close
 * it before the service does; node applies a service's `Keep-Alive: timeout=N` hint (less a second) only when the
 * pool has a timeout of its own, and never reuses a socket whose hint is 1 s or less.
 */
const POOL_IDLE_MS = 4_000;

/**
 * Creates an upstream client with keep-alive pools of up to 256 sockets per host, TCP_NODELAY, and idle sockets
 * closed after POOL_IDLE_MS or the service's hint (requests in flight are not timed out by it).
 */
export function createUpstreamClient(modules: HttpModules): UpstreamClient {
  const options = { keepAlive: true, maxSockets: 256, noDelay: true, timeout: POOL_IDLE_MS };
  const http = new modules.http.Agent(options);
  const https = new modules.https.Agent(options);
  return {
    // `o` is the caller's own literal: it takes the pool in place (a spread per call missed V8's inline cache).
    request: (secure, o) => {
      o.agent = secure ? https : http;
      return secure ? modules.https.request(o) : modules.http.request(o);
    },
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}
