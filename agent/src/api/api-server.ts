import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFrontDoor, createRoutedApp } from '@tether/shared';
import type { LocalRoute } from './api-routes.js';
import type { AgentLogger } from '../observability/logger.js';
import {
  authorizeLocal,
  hostName,
  isLoopbackName,
  screenLocalRequest,
  type LocalAccessPolicy,
  type RequestHeaders,
} from './local-access.js';

/** A listening HTTP server for the local API. */
export interface ApiServer {
  /** The bound port (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the local API's route table on `policy.bindHost`:`port` through the front door: canonical request
 * targets, the local screen (Host, Origin, Sec-Fetch-Site), then each route's access (the API token when set);
 * upgrades (WebSockets through `/call`) pass the same door.
 * Rejects when the address cannot be bound.
 */
export async function listenApi(
  routes: readonly LocalRoute[],
  port: number,
  policy: LocalAccessPolicy,
  logger: AgentLogger,
  refused: (reason: 'screen' | 'token') => void = () => undefined,
): Promise<ApiServer> {
  if (!isLoopbackName(hostName(policy.bindHost)) && policy.token === undefined)
    logger.warn(
      { host: policy.bindHost },
      'the local API listens beyond loopback without a token: anyone on that network can use it (set --api-token)',
    );
  const authorize = (req: { headers: RequestHeaders }, route: { access: LocalRoute['access'] }) => {
    const refusal = authorizeLocal(req.headers, route.access, policy.token);
    if (refusal) refused('token');
    return refusal;
  };
  const app = createRoutedApp(routes, {
    authorize,
    onInternalError: (err, c) =>
      logger.error({ err: (err as Error).message, path: c.req.path }, 'API request failed'),
  });
  const door = createFrontDoor({
    routes,
    app,
    authorize,
    screen: (req) => {
      const refusal = screenLocalRequest(req.headers, policy);
      if (refusal) refused('screen');
      return refusal;
    },
  });
  const server = createServer(door.request);
  server.on('upgrade', door.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, policy.bindHost, () => {
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
