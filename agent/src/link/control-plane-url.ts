import { ConfigError } from '../errors.js';

/** URL schemes the agent can dial: MQTT over TCP or TLS, and MQTT over WebSocket (plain or TLS). */
export const CONTROL_PLANE_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const;

/**
 * Checks a control-plane URL and normalizes it: only mqtt, mqtts, ws and wss; a ws(s) URL without a path gets
 * `/mqtt`, where the control plane serves MQTT on its HTTP port. Throws a ConfigError otherwise.
 */
export function normalizeControlPlaneUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `invalid control plane URL "${text}": expected e.g. mqtt://host:1883 or ws://host:8080/mqtt`,
    );
  }
  if (!(CONTROL_PLANE_SCHEMES as readonly string[]).includes(url.protocol)) {
    throw new ConfigError(
      `unsupported control plane URL scheme "${url.protocol}" in "${redactUrl(text)}": expected one of mqtt://, mqtts://, ws://, wss://`,
    );
  }
  if (!url.hostname) throw new ConfigError(`control plane URL "${redactUrl(text)}" has no host`);
  if ((url.protocol === 'ws:' || url.protocol === 'wss:') && (url.pathname === '' || url.pathname === '/')) {
    url.pathname = '/mqtt';
  }
  return url.toString();
}

/** The URL without any user:password part, safe for logs and the status API. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (!url.username && !url.password) return text;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return text;
  }
}
