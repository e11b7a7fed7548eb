import type { IClientOptions } from 'mqtt';
import type { MqttTransportOptions, WillMessage } from './mqtt-transport-types.js';

/** A log function that does nothing and takes no rest arguments (so its callers allocate no array per line). */
const quiet = (): void => undefined;

/** True when `DEBUG` (the `debug` package's setting) asks for MQTT.js's lines: `mqttjs...` or a bare `*`. */
export function wantsMqttDebug(debugEnv: string | undefined): boolean {
  return debugEnv !== undefined && /(^|[\s,])(\*|mqttjs)/.test(debugEnv);
}

/**
 * MQTT.js's options for our transport: MQTT 3.1.1, a clean session, and everything MQTT.js would do on its own
 * turned off (reconnects, resubscribes, queued QoS 0 messages): the transport does those itself.
 */
export function mqttClientOptions(
  options: MqttTransportOptions,
  will: WillMessage | undefined,
  debugEnv: string | undefined = process.env.DEBUG,
): IClientOptions {
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    username: options.username ?? options.clientId,
    clean: true,
    reconnectPeriod: 0,
    protocolVersion: 4,
    keepalive: options.keepalive ?? 30,
    resubscribe: false,
    queueQoSZero: false,
    // MQTT.js otherwise has mqtt-packet pre-build a Buffer for each of the 65,536 packet ids on the first
    // packet (~6.5 MiB of heap for the life of the process; pnpm bench:footprint).
    writeCache: false,
  };
  // MQTT.js logs through `debug` several times per packet even when that is off: each line built a rest-argument
  // array (7.5% of the agent's heap allocation at 64 KiB calls, with mqtt-packet's own lines).
  if (!wantsMqttDebug(debugEnv)) clientOptions.log = quiet;
  if (options.password !== undefined) clientOptions.password = options.password;
  if (will) clientOptions.will = will;
  return clientOptions;
}
