import { z } from 'zod';
import { AgentIdSchema, PROTOCOL_VERSION, TOPIC_ROOT, type Clock, type Transport } from '@tether/shared';
import type { Logger } from '../observability/logger.js';

/** A replica id: the characters of an agent id, so it is one valid topic level. */
export const ReplicaIdSchema = AgentIdSchema;

/** Retained, per agent: which replica holds its socket. */
export const presenceTopic = (agentId: string): string => `${TOPIC_ROOT}/cluster/presence/${agentId}`;
/** Every second, per replica: it is alive. */
export const heartbeatTopic = (replicaId: string): string => `${TOPIC_ROOT}/cluster/replicas/${replicaId}`;

const PresenceSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('presence'),
  agentId: AgentIdSchema,
  replica: ReplicaIdSchema,
  online: z.boolean(),
});
const HeartbeatSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('heartbeat'),
  replica: ReplicaIdSchema,
});

/** What presence tracking needs; `onOnline`/`onOffline`/`onLost` fire for agents on other replicas only. */
export interface ClusterPresenceDeps {
  transport: Transport;
  replicaId: string;
  clock: Clock;
  logger: Logger;
  onOnline(agentId: string): void;
  onOffline(agentId: string): void;
  /** A replica died: every agent it held, told at once (its survivor records them offline together). */
  onLost(agentIds: readonly string[]): void;
  heartbeatMs?: number;
  /** A replica silent this long is dead (default 3 heartbeats). */
  deadAfterMs?: number;
}

/**
 * Which replica holds each agent's socket, from retained presence messages and replica heartbeats on the fabric.
 * An `offline` clears the owner only when sent by the current owner (a late disconnect after a takeover is
 * ignored); a replica silent past `deadAfterMs` loses all its agents.
 */
export class ClusterPresence {
  readonly #deps: ClusterPresenceDeps;
  readonly #owners = new Map<string, string>();
  readonly #lastBeat = new Map<string, number>();
  readonly #unsubscribes: (() => Promise<void>)[] = [];
  #timer: unknown;

  constructor(deps: ClusterPresenceDeps) {
    this.#deps = deps;
  }

  /** The replica that holds the agent's socket, when it is another live replica. */
  remoteOwner(agentId: string): string | undefined {
    const owner = this.#owners.get(agentId);
    return owner !== undefined && owner !== this.#deps.replicaId ? owner : undefined;
  }

  /** Agents connected to other replicas. */
  get remoteCount(): number {
    let n = 0;
    for (const owner of this.#owners.values()) if (owner !== this.#deps.replicaId) n++;
    return n;
  }

  /** Tells every replica that this one now holds (or no longer holds) the agent's socket. */
  announce(agentId: string, online: boolean): void {
    const message = { v: PROTOCOL_VERSION, type: 'presence', agentId, replica: this.#deps.replicaId, online };
    this.#deps.transport
      .publish(presenceTopic(agentId), JSON.stringify(message), { qos: 1, retain: true })
      .catch((err: unknown) => this.#deps.logger.warn({ err, agentId }, 'presence not published'));
  }

  /** Subscribes to presence and heartbeats and starts beating. */
  async start(): Promise<void> {
    const { transport, clock } = this.#deps;
    const heartbeatMs = this.#deps.heartbeatMs ?? 1_000;
    this.#unsubscribes.push(
      await transport.subscribe(heartbeatTopic('+'), (_topic, payload) => this.#onHeartbeat(payload)),
      await transport.subscribe(presenceTopic('+'), (_topic, payload) => this.#onPresence(payload)),
    );
    const beat = (): void => {
      const message = { v: PROTOCOL_VERSION, type: 'heartbeat', replica: this.#deps.replicaId };
      transport.publish(heartbeatTopic(this.#deps.replicaId), JSON.stringify(message)).catch(() => undefined);
      this.#expire();
      this.#timer = clock.setTimeout(beat, heartbeatMs);
    };
    beat();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const unsubscribe of this.#unsubscribes.splice(0)) void unsubscribe().catch(() => undefined);
  }

  #onHeartbeat(payload: Uint8Array): void {
    const parsed = parseJson(HeartbeatSchema, payload);
    if (parsed) this.#lastBeat.set(parsed.replica, this.#deps.clock.now());
  }

  #onPresence(payload: Uint8Array): void {
    const p = parseJson(PresenceSchema, payload);
    if (!p) return;
    const current = this.#owners.get(p.agentId);
    if (p.online) {
      // A retained `online` of a replica that is known dead (or never seen since we started) waits for a beat.
      this.#owners.set(p.agentId, p.replica);
      if (!this.#lastBeat.has(p.replica)) this.#lastBeat.set(p.replica, this.#deps.clock.now());
      if (p.replica !== this.#deps.replicaId && current !== p.replica) this.#deps.onOnline(p.agentId);
    } else if (current === p.replica) {
      this.#owners.delete(p.agentId);
      if (p.replica !== this.#deps.replicaId) this.#deps.onOffline(p.agentId);
    }
  }

  /** Replicas silent too long lose their agents (their sockets died with them). */
  #expire(): void {
    const deadAfter = this.#deps.deadAfterMs ?? 3 * (this.#deps.heartbeatMs ?? 1_000);
    const now = this.#deps.clock.now();
    for (const [replica, at] of this.#lastBeat) {
      if (replica === this.#deps.replicaId || now - at <= deadAfter) continue;
      this.#lastBeat.delete(replica);
      const lost = [...this.#owners].filter(([, owner]) => owner === replica).map(([id]) => id);
      this.#deps.logger.warn({ replica, agents: lost.length }, 'replica silent: its agents are offline');
      for (const id of lost) this.#owners.delete(id);
      if (lost.length > 0) this.#deps.onLost(lost);
    }
  }
}

function parseJson<T>(schema: z.ZodType<T>, payload: Uint8Array): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(payload).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
