import type { CallGateway } from '../gateway.js';
import type { CallUpgrade } from '../gateway-upgrade.js';
import { error, MISSING, type ApiRoute } from './api-route.js';

/**
 * `ANY /call/:service/*` (role caller or admin): the gateway into the network, on plain node:http streams; an HTTP
 * Upgrade (a WebSocket) to the same path becomes a stream to the service.
 */
export function callRoutes(gateway: CallGateway, upgrade: CallUpgrade): ApiRoute[] {
  return [
    {
      serve: 'node',
      method: 'all',
      path: '/call/:service/*',
      access: 'call',
      tag: 'calls',
      summary:
        'Call a service through the network (any method; the path after the service is forwarded as is)',
      description:
        'Routed by the service’s policy to a central or edge instance. `x-tether-timeout: <ms>` sets the ' +
        'deadline (default 30 s). An HTTP Upgrade (a WebSocket) is forwarded too: the service’s 101 switches the ' +
        'connection to a byte stream both ways. Errors: 400 a TCP service (use a listener), 404 unknown ' +
        'service, 403 not allowed, 413 body too large, 502, 503 no healthy instance or agent offline, ' +
        '504 timeout, 508 too many hops.',
      responses: {
        200: { description: "the service's response, streamed", contentType: '*/*' },
        ...MISSING,
        503: error('no healthy instance, or every instance offline'),
        504: error('deadline passed'),
      },
      handle: gateway,
      upgrade,
    },
  ];
}
