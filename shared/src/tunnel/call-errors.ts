import {
  AgentOfflineError,
  ForbiddenError,
  NoHealthyInstanceError,
  PayloadTooLargeError,
  RouteNotFoundError,
  TetherError,
  TimeoutError,
  TooBusyError,
  TooManyHopsError,
  TunnelClosedError,
  UpstreamError,
} from '../errors.js';
import { errorStatus } from '../error-status.js';
import type { ErrorHeader } from './frame-format.js';

/** A cancellation the caller asked for (its CancelSignal aborted): carries the signal's reason as `cause`. */
export class CallCancelledError extends TetherError {
  constructor(message = 'call cancelled', options?: { cause?: unknown }) {
    super('cancelled', message, options);
  }
}

/** The HTTP status a call error maps to (docs/tunnel.md; ERROR_STATUS); unknown errors are 502. */
export function callErrorStatus(err: unknown): number {
  return errorStatus(err, 502);
}

/** The ERROR frame header for an error (internal errors never leak their message). */
export function toErrorHeader(err: unknown): ErrorHeader {
  if (err instanceof TetherError)
    return { code: err.code, message: err.message.slice(0, 4096), status: callErrorStatus(err) };
  return { code: 'bad_gateway', message: 'call failed', status: 502 };
}

/** The named error an ERROR frame stands for. */
export function fromErrorHeader(h: ErrorHeader): TetherError {
  switch (h.code) {
    case 'forbidden':
      return new ForbiddenError(h.message);
    case 'route_not_found': {
      const err = new RouteNotFoundError('?');
      err.message = h.message;
      return err;
    }
    case 'payload_too_large':
      return new PayloadTooLargeError(h.message);
    case 'no_healthy_instance':
      return new NoHealthyInstanceError(h.message);
    case 'agent_offline':
      return new AgentOfflineError(h.message);
    case 'tunnel_closed':
      return new TunnelClosedError(h.message);
    case 'too_busy':
      return new TooBusyError(h.message);
    case 'timeout':
      return new TimeoutError(h.message);
    case 'too_many_hops':
      return new TooManyHopsError(h.message);
    default:
      return new UpstreamError(h.message, { code: h.code, status: h.status });
  }
}
