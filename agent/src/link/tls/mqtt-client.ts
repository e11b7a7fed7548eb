import type { ConnectionOptions } from 'node:tls';
import { connect as mqttConnect, MqttClient, type IClientOptions } from 'mqtt';
import { secureConnect } from './secure-connect.js';
import type { TlsPlan } from './tls-plan.js';

/**
 * The MQTT.js client for a control-plane URL, or several (replicas, docs/cluster.md): every (re)connect attempt
 * dials the next one, in order. `mqtts://` and `wss://` connections are made by `secureConnect` with the plan's
 * verification (pinning included, checked before CONNECT and its secret go out); plain URLs ignore the plan.
 */
export function createMqttClient(
  urls: string | string[],
  options: IClientOptions,
  plan: TlsPlan,
): MqttClient {
  const list = typeof urls === 'string' ? [urls] : urls;
  const url = list[0]!;
  const parsed = new URL(url);
  if (list.length > 1) {
    const targets = list.map((u) => new URL(u));
    if (targets.some((t) => t.protocol !== parsed.protocol))
      throw new TypeError('every control-plane URL of an agent must use the same scheme');
    if (parsed.protocol === 'mqtts:') {
      let next = 0;
      return new MqttClient(() => {
        const t = targets[next++ % targets.length]!;
        return secureConnect(
          { host: t.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(t.port || 8883) },
          plan,
        );
      }, options);
    }
    // MQTT.js moves to the next of `servers` on every reconnect.
    options = {
      ...options,
      servers: targets.map((t) => ({
        host: t.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(t.port || (t.protocol === 'mqtt:' ? 1883 : t.protocol === 'ws:' ? 80 : 443)),
        protocol: t.protocol.slice(0, -1) as 'mqtt' | 'ws' | 'wss',
      })),
    };
  }
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
