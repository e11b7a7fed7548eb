import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import {
  createUpstreamClient,
  TunnelClosedError,
  TunnelEndpoint,
  tunnelDownTopic,
  tunnelReplicaFromTopic,
  tunnelUpTopic,
  type CallHandler,
  type Clock,
  type RouteTable,
  type LinkTransport,
  type StreamEvents,
  type StreamHandler,
} from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';
import { tunnelCallHandler } from './tunnel-server.js';
import { tunnelStreamHandler } from './tunnel-stream-server.js';

/** The agent's end of the tunnel: the endpoint its local `/call` proxy sends calls up. */
export interface AgentTunnel {
  endpoint: TunnelEndpoint;
  close(): Promise<void>;
}

/** At most this many control-plane replicas get a tunnel end of their own at once. */
export const MAX_REPLICA_ENDPOINTS = 16;

/**
 * Opens the agent's tunnel end: subscribes to its `tunnel-down` topic, serves calls and streams from the hub with
 * the local instances, and fails every call and resets every stream in flight when the link drops (the endpoint is
 * usable again after reconnect).
 * In a cluster (docs/cluster.md) each replica calls on `tunnel-down/<replica>`: one more endpoint per replica,
 * replying on `tunnel-up/<replica>`, so replies reach the replica holding the call.
 */
export async function openAgentTunnel(options: {
  id: string;
  transport: LinkTransport;
  table: RouteTable;
  clock: Clock;
  logger: AgentLogger;
  /** Told when a call from the hub starts; returns the function taking its status. */
  observe?: (service: string) => (status: number) => void;
  /** Stream counters (metrics): bytes each way, opens refused here. */
  streamEvents?: StreamEvents;
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
    ...(options.streamEvents ? { streamEvents: options.streamEvents } : {}),
  });
  const upstream = createUpstreamClient({ http, https });
  const observe = options.observe;
  const handler: CallHandler = tunnelCallHandler({
    id,
    table: options.table,
    upstream,
    ...(observe ? { observe } : {}),
  });
  const streams: StreamHandler = tunnelStreamHandler({
    id,
    table: options.table,
    io: { net, http: { http, https } },
  });
  endpoint.serve(handler);
  endpoint.serveStreams(streams);
  const replicas = new Map<string, TunnelEndpoint>();
  const replicaEndpoint = (replica: string): TunnelEndpoint | undefined => {
    const existing = replicas.get(replica);
    if (existing || replicas.size >= MAX_REPLICA_ENDPOINTS) return existing;
    const created = new TunnelEndpoint({
      transport,
      sendTopic: tunnelUpTopic(id, replica),
      clock: options.clock,
      onMalformed: (reason) => logger.warn({ reason, replica }, 'tunnel frame dropped'),
      ...(options.streamEvents ? { streamEvents: options.streamEvents } : {}),
    });
    created.serve(handler);
    created.serveStreams(streams);
    replicas.set(replica, created);
    return created;
  };
  const stopWatching = transport.onDisconnect(() => {
    const error = new TunnelClosedError('the link to the control plane dropped');
    endpoint.fail(error);
    for (const e of replicas.values()) e.fail(error);
  });
  await endpoint.start();
  const unsubscribeReplicas = await transport.subscribe(tunnelDownTopic(id, '+'), (topic, payload) => {
    const replica = tunnelReplicaFromTopic(topic);
    if (replica !== undefined) replicaEndpoint(replica)?.receive(payload);
  });
  return {
    endpoint,
    close: async () => {
      stopWatching();
      await unsubscribeReplicas();
      await Promise.all([endpoint, ...replicas.values()].map((e) => e.close()));
      upstream.destroy();
    },
  };
}
