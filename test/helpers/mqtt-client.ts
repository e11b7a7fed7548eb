import mqtt, { type MqttClient } from 'mqtt';

/** Outcome of a raw MQTT connect: the client, or the reason the broker refused it. */
export type ConnectResult = { ok: true; client: MqttClient } | { ok: false; error: string };

/** Connects a raw MQTT.js client once (no reconnect), as a hostile or simulated agent would. */
export function connectRaw(url: string, id: string, secret: string, clientId = id): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId,
      username: id,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      protocolVersion: 4,
    });
    client.once('connect', () => resolve({ ok: true, client }));
    client.once('error', (err) => {
      client.end(true);
      resolve({ ok: false, error: err.message });
    });
    client.once('close', () => resolve({ ok: false, error: 'closed' }));
  });
}

/** Publishes and resolves with the error, if the broker refused it or the connection dropped. */
export function publishRaw(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 = 1,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(new Error('no PUBACK within 3 s')), 3_000);
    client.publish(topic, payload, { qos }, (err) => {
      clearTimeout(timer);
      resolve(err ?? undefined);
    });
  });
}
