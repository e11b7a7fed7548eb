import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallCancelledError,
  callTarget,
  type Clock,
  forwardableHeaders,
  type HeaderList,
  type PreparedBody,
  readCallHead,
  readRequestBody,
  type RequestTarget,
  sendCallError,
  writeCallResponse,
  Cancellation,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { CallRouter } from '../calls/call-router.js';

/** A call still running after this long is registered with its token, so that deleting the token ends it. */
export const LONG_CALL_MS = 1_000;

/** What the gateway needs. */
export interface GatewayDeps {
  router: CallRouter;
  maxBodyBytes: number;
  logger: Logger;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The caller identity of an (authenticated) request, e.g. `central:<token name>`. */
  callerOf(req: IncomingMessage): string;
  /**
   * Registers a long-running call with the token that authorised it: `end` is called if the token is deleted or
   * its role changes (at once if that happened already). Returns the registration's release.
   */
  holdWithToken?: (req: IncomingMessage, end: () => void) => () => void;
}

/** The node:http handler of `/call/...` requests, given the canonical target that was authorised. */
export type CallGateway = (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => void;

/** A client's headers to forward: the Tether token that authorised the call is not the service's business. */
export function withoutTetherToken(raw: readonly string[]): HeaderList {
  return forwardableHeaders(raw).filter(
    ([name, value]) => name.toLowerCase() !== 'authorization' || !/^bearer\s+tether_/i.test(value),
  );
}

/** True when the request carries a body (a length over 0 or a transfer-encoding). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The gateway for central clients: `ANY /call/<service>/<path...>` on the HTTP port, on plain node:http streams
 * in front of hono (the front door checked the bearer token and made the target canonical). Sets `x-tether-caller` to the token's identity
 * (`central:<token name>`; the client's own header is dropped), increments `x-tether-hops`, applies the body limit and
 * the `x-tether-timeout` deadline, and streams the response back as it arrives. A call still running after
 * LONG_CALL_MS is held with its token (`holdWithToken`): deleting the token ends it.
 */
export function createGateway(deps: GatewayDeps): CallGateway {
  return (req, res, target) => {
    const parts = callTarget(target);
    const ac = new Cancellation();
    let release = (): void => undefined;
    const hold = deps.holdWithToken;
    const timer =
      hold &&
      deps.clock.setTimeout(() => {
        release = hold(req, () => {
          ac.abort(
            new CallCancelledError('the token that authorised the call was deleted or its role changed'),
          );
          res.destroy();
        });
      }, LONG_CALL_MS);
    res.once('close', () => {
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      release();
      if (!res.writableFinished) ac.abort(new CallCancelledError('the client went away'));
    });
    void (async () => {
      try {
        const { hops, timeoutMs } = readCallHead(req, deps.maxBodyBytes);
        const body: PreparedBody = hasBody(req)
          ? await readRequestBody(req, deps.maxBodyBytes)
          : { kind: 'none' };
        const caller = deps.callerOf(req);
        // One literal of a fixed shape (a spread of `parts` missed V8's inline cache on every call: ~5% of the
        // control plane's CPU under load).
        const response = await deps.router.route({
          service: parts.service,
          path: parts.path,
          query: parts.query,
          method: req.method ?? 'GET',
          headers: withoutTetherToken(req.rawHeaders),
          caller: { kind: 'central', id: caller },
          callerHeader: caller,
          hops,
          timeoutMs,
          body,
          signal: ac.signal,
        });
        const cut = await writeCallResponse(req, res, response);
        if (cut && !ac.signal.aborted)
          deps.logger.warn(
            { service: parts.service, caller, err: cut.message },
            'call failed after its response head was sent: the client saw the connection cut',
          );
      } catch (err) {
        if (ac.signal.aborted) return;
        sendCallError(req, res, err);
      }
    })();
  };
}
