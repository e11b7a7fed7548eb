import { Counter, type Registry } from 'prom-client';
import { RunningCounter } from './running-counter.js';

/** What agents publish and the hub answers: messages by type and kind, refusals, resyncs, routes not stored. */
export interface AgentMessageMetrics {
  /** Valid advert messages received, by type. */
  readonly messagesReceived: Counter<'type'>;
  /** Messages refused at ingress, by reason. */
  readonly invalidMessages: Counter<'reason'>;
  /** Advertised routes dropped by hub policy (origin not the sender). */
  readonly rejectedRoutes: Counter;
  /** Resync requests sent to agents, by reason. */
  readonly resyncRequests: Counter<'reason'>;
  /** Service name conflicts recorded (each once: an edge advertising a centrally defined service). */
  readonly serviceConflicts: Counter;
  /** Advertised routes stored none of because of the agent's strategy, by reason (`fixed_none`, `declared_none`). */
  readonly refusedRoutes: Counter<'reason'>;
  /** MQTT publishes through the broker on Tether's topics, by direction and topic kind. */
  readonly mqttMessages: RunningCounter<'direction' | 'kind'>;
  /** Payload bytes of those publishes, by direction. */
  readonly mqttBytes: RunningCounter<'direction'>;
}

/** Registers the metrics of agents' messages. */
export function agentMessageMetrics(registers: Registry[]): AgentMessageMetrics {
  return {
    messagesReceived: new Counter({
      name: 'tether_messages_received_total',
      help: 'Valid agent messages received, by type',
      labelNames: ['type'],
      registers,
    }),
    invalidMessages: new Counter({
      name: 'tether_invalid_messages_total',
      help: 'Agent messages refused at ingress, by reason',
      labelNames: ['reason'],
      registers,
    }),
    rejectedRoutes: new Counter({
      name: 'tether_rejected_routes_total',
      help: 'Advertised routes dropped by hub policy',
      registers,
    }),
    resyncRequests: new Counter({
      name: 'tether_resync_requests_total',
      help: 'Resync requests sent to agents, by reason',
      labelNames: ['reason'],
      registers,
    }),
    serviceConflicts: new Counter({
      name: 'tether_service_conflicts_total',
      help: 'Service name conflicts recorded: an edge first advertising a centrally defined service its policy does not admit',
      registers,
    }),
    refusedRoutes: new Counter({
      name: 'tether_refused_routes_total',
      help: 'Advertised routes not stored because of the strategy: fixed_none (the hub fixed none), declared_none',
      labelNames: ['reason'],
      registers,
    }),
    mqttMessages: new RunningCounter(registers, {
      name: 'tether_mqtt_messages_total',
      help: 'MQTT publishes on Tether topics: in = from agents, out = from the hub; kind = topic suffix',
      labelNames: ['direction', 'kind'],
    }),
    mqttBytes: new RunningCounter(registers, {
      name: 'tether_mqtt_bytes_total',
      help: 'Payload bytes of MQTT publishes on Tether topics, by direction',
      labelNames: ['direction'],
    }),
  };
}
