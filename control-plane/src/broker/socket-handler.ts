import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';

/** Hands one accepted MQTT connection (TCP or TLS) to the broker. */
export type MqttSocketHandler = (socket: Duplex) => void;

/**
 * THE place every raw MQTT socket passes, plain TCP and TLS alike (MQTT over WebSocket enters in
 * http/upgrade.ts): socket-level guards (byte limits before CONNECT, per-source rate limits) belong here.
 */
export function createMqttSocketHandler(broker: Aedes): MqttSocketHandler {
  return (socket) => broker.handle(socket);
}
