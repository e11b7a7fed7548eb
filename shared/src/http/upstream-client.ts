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

/** Creates an upstream client with keep-alive pools of up to 256 sockets per host and TCP_NODELAY. */
export function createUpstreamClient(modules: HttpModules): UpstreamClient {
  const options = { keepAlive: true, maxSockets: 256, noDelay: true };
  const http = new modules.http.Agent(options);
  const https = new modules.https.Agent(options);
  return {
    request: (secure, o) =>
      secure ? modules.https.request({ ...o, agent: https }) : modules.http.request({ ...o, agent: http }),
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}
