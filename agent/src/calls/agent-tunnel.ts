import * as http from 'node:http';
import * as https from 'node:https';
import {
  createUpstreamClient,
  TunnelClosedError,
  TunnelEndpoint,
  tunnelDownTopic,
  tunnelUpTopic,
  type Clock,
  type RouteTable,
} from '@tether/shared';
import type { AgentLogger } from '../logger.js';
import type { MqttTransport } from '../mqtt-transport.js';
import { createLocalProxy, type LocalProxy } from './local-proxy.js';
import { tunnelCallHandler } from './tunnel-server.js';

/** The agent's end of the tunnel: its endpoint and the local `/call` proxy. */
export interface AgentTunnel {
  endpoint: TunnelEndpoint;
  proxy: LocalProxy;
  close(): Promise<void>;
}

/**
 * Opens the agent's tunnel end: subscribes to its `tunnel-down` topic, serves calls from the hub with the local
 * instances, and fails every call in flight when the link drops (the endpoint is usable again after reconnect).
 */
export async function openAgentTunnel(options: {
  id: string;
  transport: MqttTransport;
  table: RouteTable;
  clock: Clock;
  logger: AgentLogger;
  /** Told when a call starts (`out`: a local app's, `in`: the hub's); returns the function taking its status. */
  observe?: (direction: 'out' | 'in', service: string) => (status: number) => void;
}): Promise<AgentTunnel> {
  const { id, transport, logger } = options;
  let malformed = 0;
  const endpoint = new TunnelEndpoint({
    transport,
    sendTopic: tunnelUpTopic(id),
    receiveTopic: tunnelDownTopic(id),
    clock: options.clock,
    onMalformed: (reason) => {
      malformed++;
      logger.warn({ reason, malformed }, 'tunnel frame dropped');
    },
  });
  const upstream = createUpstreamClient({ http, https });
  const observe = options.observe;
  endpoint.serve(
    tunnelCallHandler({
      id,
      table: options.table,
      upstream,
      ...(observe ? { observe: (service: string) => observe('in', service) } : {}),
    }),
  );
  const stopWatching = transport.onDisconnect(() =>
    endpoint.fail(new TunnelClosedError('the link to the control plane dropped')),
  );
  await endpoint.start();
  return {
    endpoint,
    proxy: createLocalProxy({
      id,
      endpoint,
      ...(observe ? { observe: (service: string) => observe('out', service) } : {}),
    }),
    close: async () => {
      stopWatching();
      await endpoint.close();
      upstream.destroy();
    },
  };
}
