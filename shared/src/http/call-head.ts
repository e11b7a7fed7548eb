import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { isCallMethod } from '../request-target.js';
import { callTimeoutMs, nextHops, TETHER_HEADERS } from '../tunnel/http-headers.js';

/** What a `/call` request's head says of the call: its hop count so far and its deadline. */
export interface CallHead {
  hops: number;
  timeoutMs: number;
}

/**
 * Checks a `/call` request's head before anything is forwarded: a method of a service's API (else
 * ValidationError), valid hop and timeout headers, and a declared length within `maxBodyBytes` (else
 * PayloadTooLargeError).
 */
export function readCallHead(req: IncomingMessage, maxBodyBytes: number): CallHead {
  if (!isCallMethod(req.method ?? ''))
    throw new ValidationError(
      `method ${req.method ?? ''} is not forwarded: use a method of the service's API`,
    );
  const hops = nextHops(req.headers[TETHER_HEADERS.hops]);
  const timeoutMs = callTimeoutMs(req.headers[TETHER_HEADERS.timeout]);
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > maxBodyBytes)
    throw new PayloadTooLargeError(`request body of ${length} bytes is over the limit of ${maxBodyBytes}`);
  return { hops, timeoutMs };
}
