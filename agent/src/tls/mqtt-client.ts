import type { ConnectionOptions } from 'node:tls';
import { connect as mqttConnect, MqttClient, type IClientOptions } from 'mqtt';
import { secureConnect } from './secure-connect.js';
import type { TlsPlan } from './tls-plan.js';

/**
 * The MQTT.js client for a control-plane URL. `mqtts://` and `wss://` connections are made by `secureConnect`
 * with the plan's verification (pinning included, checked before CONNECT and its secret go out); plain URLs
 * ignore the plan.
 */
export function createMqttClient(url: string, options: IClientOptions, plan: TlsPlan): MqttClient {
  const parsed = new URL(url);
  if (parsed.protocol === 'wss:') {
    const createConnection = (o: ConnectionOptions) => secureConnect(o, plan);
    return mqttConnect(url, {
      ...options,
      ...plan.options,
      // ws types `createConnection` as net.createConnection's overloads; it only ever calls it with options.
      wsOptions: { ...plan.options, createConnection: createConnection as never },
    });
  }
  if (parsed.protocol === 'mqtts:') {
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(parsed.port || 8883);
    return new MqttClient(() => secureConnect({ host, port }, plan), options);
  }
  return mqttConnect(url, options);
}
