import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ValidationError } from '../errors.js';
import type { FarEnd } from '../streams/far-end.js';
import { openForClient } from '../streams/serve-client.js';
import type { HeaderList } from '../tunnel/call-types.js';
import { callTimeoutMs, nextHops, TETHER_HEADERS } from '../tunnel/http-headers.js';
import type { OpenRequest } from '../tunnel/tunnel-streams.js';
import { rejectUpgrade } from './error-response.js';
import { callTarget, isCallMethod, type RequestTarget } from '../request-target.js';
import { joinUpgrade, upgradeOf } from './upgrade-head.js';
import type { CancelSignal } from '../cancellation.js';

/**
 * The OPEN of an HTTP Upgrade a client sent to a call gateway (`/call/<service>/...`), checked as a call is: a
 * forwardable method, a valid `Upgrade` and no body, the hop count after this proxy, the `x-tether-timeout`
 * deadline (for connecting). `caller` and `headers` are the gateway's (its identity, the headers it forwards).
 */
export function upgradeOpen(
  req: IncomingMessage,
  target: RequestTarget,
  caller: string,
  headers: HeaderList,
): { request: OpenRequest; timeoutMs: number } {
  const method = req.method ?? 'GET';
  if (!isCallMethod(method))
    throw new ValidationError(`method ${method} is not forwarded: use a method of the service's API`);
  const upgrade = upgradeOf(req);
  const hops = nextHops(req.headers[TETHER_HEADERS.hops]);
  const timeoutMs = callTimeoutMs(req.headers[TETHER_HEADERS.timeout]);
  const request: OpenRequest = {
    protocol: 'http',
    ...callTarget(target),
    method,
    headers,
    upgrade,
    caller,
    hops,
  };
  return { request, timeoutMs };
}

/** What serving one upgrade tells its gateway. */
export interface UpgradeHooks {
  /** No far end could be opened (the client was answered with the error's status). */
  refused(error: Error): void;
  /** The connections were spliced; the function returned (if any) is called once both are over. */
  joined?(): (() => void) | undefined;
}

/**
 * Serves an upgrade at a call gateway: opens the far end with `open` (aborted if the client goes away first), then
 * answers the client with the far end's ACCEPT and splices the two; a failure before that is answered with its
 * status and body (`{"error":{"code","message"}}`) and the socket closed.
 */
export function serveUpgrade(
  socket: Duplex,
  head: Buffer,
  open: (signal: CancelSignal) => Promise<FarEnd>,
  hooks: UpgradeHooks,
): void {
  openForClient(
    socket,
    open,
    (far) => {
      const done = hooks.joined?.();
      joinUpgrade(socket, head, far, () => done?.());
    },
    (error) => {
      hooks.refused(error);
      rejectUpgrade(socket, error);
    },
  );
}
