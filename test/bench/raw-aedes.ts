/**
 * The floor of bench:scale: a bare aedes broker in its own process (as a control plane would be), no auth, no
 * SQLite, where an in-process responder answers each agent's advert with an empty full `agent-routes`, so the
 * simulator of sim-agents.ts runs unchanged against it. Sends `{ port }` to its parent over IPC once listening.
 * It skips the retained lookup of an agent's inbox SUBSCRIBE as the control plane does (skipRetainedLookups):
 * plain aedes tests every retained topic (a status per agent) on each SUBSCRIBE, so its connects slow down as the
 * fleet grows (84/s and 4.1 ms of broker CPU per agent at 5,000 agents, against 155/s at 3,000), a floor that
 * would flatter any broker that avoids it.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { skipRetainedLookups } from '@tether/control-plane';
import {
  agentIdFromTopic,
  encode,
  HUB_SUBSCRIPTIONS,
  inboxTopic,
  PROTOCOL_VERSION,
  type AgentRoutes,
} from '@tether/shared';

const broker = await Aedes.createBroker();
skipRetainedLookups(
  (broker as unknown as { persistence: Parameters<typeof skipRetainedLookups>[0] }).persistence,
);
let seq = 0;
broker.subscribe(
  HUB_SUBSCRIPTIONS.adverts,
  (packet, done) => {
    done();
    const agentId = agentIdFromTopic(packet.topic);
    if (agentId === undefined) return;
    const answer: AgentRoutes = {
      v: PROTOCOL_VERSION,
      type: 'agent-routes',
      epoch: 'raw',
      seq: ++seq,
      full: true,
      upserts: [],
      removes: [],
    };
    const payload = Buffer.from(encode(answer));
    broker.publish(
      { cmd: 'publish', topic: inboxTopic(agentId), payload, qos: 1, retain: false, dup: false },
      () => undefined,
    );
  },
  () => undefined,
);
const server = createServer({ noDelay: true }, broker.handle);
// The control plane's listen backlog (control-plane/src/http/listeners.ts): the floor queues a storm alike.
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
