import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { serveUpgrade, upgradeOpen, type RequestTarget, type CancelSignal } from '@tether/shared';
import type { StreamRouter } from '../calls/stream-router.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { withoutTetherToken } from './gateway.js';

/** The upgrade handler of `/call/...`, given the canonical target that was authorised. */
export type CallUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, target: RequestTarget) => void;

/** What the gateway's upgrades need. */
export interface GatewayUpgradeDeps {
  streams: StreamRouter;
  metrics: Metrics;
  logger: Logger;
  /** The caller identity of an (authenticated) request, e.g. `central:<token name>`. */
  callerOf(req: IncomingMessage): string;
  /** Ties the upgraded connection to the token that authorised it: `end` is called if the token is deleted. */
  holdWithToken?: (req: IncomingMessage, end: () => void) => () => void;
}

/**
 * HTTP Upgrade (a WebSocket) through the gateway: the same checks as a call (method, hops, deadline, the token's
 * identity as `x-tether-caller`, the token itself never forwarded), then a stream to an instance of the service
 * chosen by its policy; the service's answer is written back raw (101, or its status and body) and the two
 * connections are spliced. Deleting the token cuts the connection; so does losing the agent's link.
 */
export function createGatewayUpgrade(deps: GatewayUpgradeDeps): CallUpgrade {
  return (req, socket, head, target) => {
    const caller = deps.callerOf(req);
    const open = async (signal: CancelSignal) => {
      const { request, timeoutMs } = upgradeOpen(req, target, caller, withoutTetherToken(req.rawHeaders));
      return deps.streams.open({ head: request, caller: { kind: 'central', id: caller }, timeoutMs, signal });
    };
    serveUpgrade(socket, head, open, {
      refused: (err) => {
        const code = (err as { code?: string }).code ?? 'bad_gateway';
        deps.metrics.streams.refused.inc({ reason: code });
        deps.logger.debug({ path: target.path, code, err: err.message }, 'upgrade refused');
      },
      joined: () => deps.holdWithToken?.(req, () => socket.destroy()),
    });
  };
}
