import { TetherError, UpstreamError } from './errors.js';

/** The HTTP status of each error code: the one table the gateway, the tunnel and both HTTP APIs answer with. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  wrong_protocol: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  conflict: 409,
  gone: 410,
  grant_expired: 410,
  payload_too_large: 413,
  too_large: 413,
  unsupported_media_type: 415,
  cancelled: 499,
  bad_gateway: 502,
  no_healthy_instance: 503,
  agent_offline: 503,
  tunnel_closed: 503,
  too_busy: 503,
  cluster_unavailable: 503,
  timeout: 504,
  outbox_full: 507,
  too_many_hops: 508,
};

/**
 * The HTTP status of an error: an UpstreamError's own, a TetherError's code from ERROR_STATUS, else `fallback`
 * (500 for an API, 502 for a proxied call).
 */
export function errorStatus(err: unknown, fallback = 500): number {
  if (err instanceof UpstreamError) return err.status;
  if (err instanceof TetherError) return ERROR_STATUS[err.code] ?? fallback;
  return fallback;
}
