import type { Aedes } from 'aedes';
import { AedesTransport } from '../broker/aedes-transport.js';
import { AgentSocketWriter } from '../broker/agent-socket-writer.js';
import { createBroker, type Broker } from '../broker/create-broker.js';
import type { BrokerLimits } from '../broker/limits.js';
import { countBrokerTraffic } from '../broker/traffic-metrics.js';
import { newReplicaId } from '../cluster/join-cluster.js';
import { openRedisFabric, type RedisFabric } from '../cluster/redis-fabric.js';
import type { Base } from './open-base.js';
import type { StartContext } from './start-context.js';

/** The embedded broker, its transport for our own messages, and, in a cluster, this replica's Redis fabric. */
export interface BrokerParts {
  broker: Aedes;
  guard: Broker['guard'];
  /** Forgets what the broker holds of an agent (a revoked one). */
  forgetAgent: Broker['forget'];
  transport: AedesTransport;
  /** Agents' connections on this process, written to and read from without the broker's routing (calls). */
  sockets: AgentSocketWriter;
  /** This replica's id, in a cluster. */
  replicaId: string | undefined;
  fabric: RedisFabric | undefined;
}

/** Starts the broker (its emitter and persistence in Redis when clustered, docs/cluster.md), its traffic counted. */
export async function startBroker(ctx: StartContext, base: Base, limits: BrokerLimits): Promise<BrokerParts> {
  const { options, clock, logger } = ctx;
  const { db, agents, metrics, audit } = base;
  const replicaId = options.redisUrl ? (options.replicaId ?? newReplicaId()) : undefined;
  const fabric: RedisFabric | undefined =
    options.redisUrl && replicaId ? await openRedisFabric(options.redisUrl, replicaId, logger) : undefined;
  const {
    aedes: broker,
    guard,
    forget: forgetAgent,
    local,
  } = await createBroker({ db, agents, metrics, logger, audit, clock, limits, fabric });
  countBrokerTraffic(broker, metrics);
  const transport = new AedesTransport(broker);
  const sockets = new AgentSocketWriter(broker, local);
  return { broker, guard, forgetAgent, transport, sockets, replicaId, fabric };
}
