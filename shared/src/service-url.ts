import { z } from 'zod';
import { WrongProtocolError } from './errors.js';

/** What a service speaks: HTTP (`http://`, `https://`; calls and upgrades through `/call`) or raw TCP (`tcp://`). */
export type ServiceProtocol = 'http' | 'tcp';

/** The protocol of a route address or service URL: its scheme says it (`tcp://` is TCP, anything else HTTP). */
export function serviceProtocol(address: string): ServiceProtocol {
  return address.startsWith('tcp://') ? 'tcp' : 'http';
}

/** Where a `tcp://host:port` address connects (an IPv6 host without its brackets). */
export function tcpEndpoint(address: string): { host: string; port: number } {
  const url = new URL(address);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

/** True for `tcp://host:port` and nothing more: a port, no user, path, query or fragment. */
function isTcpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    url.protocol === 'tcp:' &&
    url.hostname !== '' &&
    /^[1-9]\d{0,4}$/.test(url.port) &&
    Number(url.port) <= 65_535 &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname === '' || url.pathname === '/') &&
    url.search === '' &&
    url.hash === ''
  );
}

/** The URL of a service an agent or the control plane offers: `http://`, `https://` or `tcp://host:port`. */
export const ServiceUrlSchema = z
  .string()
  .max(2048)
  .refine((text) => {
    if (text.startsWith('tcp:')) return isTcpUrl(text);
    return z.url({ protocol: /^https?$/ }).safeParse(text).success;
  }, 'an http:// or https:// URL, or tcp://host:port');

/**
 * The routes that speak `protocol`: all of them when none of the service's routes is left out; a WrongProtocolError
 * saying how to reach the service when it has routes and none speaks it (an HTTP call to a TCP service).
 */
export function routesSpeaking<R extends { service: string; address: string }>(
  routes: readonly R[],
  protocol: ServiceProtocol,
): R[] {
  const speaking = routes.filter((r) => serviceProtocol(r.address) === protocol);
  const service = routes[0]?.service;
  if (speaking.length > 0 || service === undefined) return speaking;
  throw new WrongProtocolError(
    protocol === 'http'
      ? `service "${service}" speaks TCP: reach it through a listener (POST /api/v1/listeners, or --listen on an agent), not /call`
      : `service "${service}" speaks HTTP: call it through /call, not a TCP listener`,
  );
}
