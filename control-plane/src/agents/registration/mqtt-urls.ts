/** The listeners a control plane has, for the URLs it hands enrolling agents. */
export interface ListenerPorts {
  mqtt?: number | undefined;
  mqtts?: number | undefined;
  http: number;
  /** True when the HTTP port serves HTTPS (and so wss). */
  secure: boolean;
}

/**
 * The MQTT URLs an agent enrolling through `host` (the host name it called the API by) should dial, best first:
 * with TLS `mqtts://` then `wss://`, else `mqtt://` then `ws://` (a plain listener is never offered beside TLS).
 */
export function defaultMqttUrls(host: string, ports: ListenerPorts): string[] {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (ports.secure) {
    return [
      ...(ports.mqtts === undefined ? [] : [`mqtts://${h}:${ports.mqtts}`]),
      `wss://${h}:${ports.http}/mqtt`,
    ];
  }
  return [...(ports.mqtt === undefined ? [] : [`mqtt://${h}:${ports.mqtt}`]), `ws://${h}:${ports.http}/mqtt`];
}
