import { randomBytes } from 'node:crypto';
import type { Aedes } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CredentialMessageSchema,
  decode,
  encode,
  inboxTopic,
  NotFoundError,
  PROTOCOL_VERSION,
  type Clock,
  type Decoded,
  type CredentialMessage,
  type CredentialRotate,
  type Transport,
} from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { generateSecret, hashSecret } from '../../auth/secrets.js';
import type { AgentStore } from '../../store/agent-store.js';
import { confirmRotation } from './confirm-rotation.js';

/** What credential rotation needs. */
export interface CredentialRotationDeps {
  db: BetterSqlite3.Database;
  agents: AgentStore;
  audit: AuditLog;
  transport: Transport;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  isConnected(agentId: string): boolean;
}

/** The answer of `POST /api/v1/agents/:id/rotate` (never the secret). */
export interface RotationView {
  id: string;
  rotation: string;
  requestedAt: string;
  pending: true;
}

/**
 * Rotates agents' secrets without dropping their connections. `rotate` stores the hash of a new secret as pending
 * (old and new both authenticate) and sends the secret to the agent's inbox; the agent stores it and answers
 * `credential-ack` (or connects with it), which makes the new secret the only one. The clear secret is kept in
 * memory only, to re-send it on each inbox subscription until confirmed; after a restart a new one is made instead.
 */
export class CredentialRotation {
  readonly #deps: CredentialRotationDeps;
  readonly #secrets = new Map<string, { rotation: string; secret: string }>();

  constructor(deps: CredentialRotationDeps) {
    this.#deps = deps;
  }

  /** Re-sends a pending secret whenever an agent subscribes to its inbox (after every reconnect). */
  attach(broker: Aedes): void {
    broker.on('subscribe', (subscriptions, client) => {
      if (!client || !subscriptions.some((s) => s.topic === inboxTopic(client.id))) return;
      void this.deliverPending(client.id);
    });
  }

  /**
   * Starts a rotation for an agent (NotFoundError if unknown). While one is pending it is returned again rather
   * than replaced: the agent may already hold that secret.
   */
  rotate(agentId: string, actor?: string): RotationView {
    const { db, agents, clock, logger } = this.#deps;
    const agent = agents.get(agentId);
    if (!agent) throw new NotFoundError(`agent "${agentId}" not found`);
    if (agent.rotationId !== null && agent.rotationRequestedAt !== null) {
      if (this.#deps.isConnected(agentId)) void this.deliverPending(agentId);
      return view(agentId, agent.rotationId, agent.rotationRequestedAt);
    }
    const now = clock.now();
    const pending = this.#newPending(agentId, now);
    db.transaction(() => {
      agents.setPendingSecret(agentId, pending.hash, pending.rotation, now);
      this.#deps.audit.record({
        kind: 'credential-rotated',
        agentId,
        actor,
        detail: { rotation: pending.rotation, state: 'pending' },
      });
    }).immediate();
    logger.info({ agentId, rotation: pending.rotation }, 'credential rotation requested');
    if (this.#deps.isConnected(agentId)) void this.#send(agentId);
    return view(agentId, pending.rotation, now);
  }

  /**
   * Sends the agent its pending secret, if a rotation is pending. Without the secret in memory (the control plane
   * restarted) a new pending secret replaces the old one: the agent connected with its old secret, so it never
   * stored the lost one (a connect with the pending secret would have confirmed it).
   */
  async deliverPending(agentId: string): Promise<void> {
    const { db, agents, clock, logger } = this.#deps;
    try {
      const agent = agents.get(agentId);
      if (!agent?.rotationId) {
        this.#secrets.delete(agentId);
        return;
      }
      if (this.#secrets.get(agentId)?.rotation !== agent.rotationId) {
        const now = clock.now();
        const pending = this.#newPending(agentId, now);
        db.transaction(() =>
          agents.setPendingSecret(agentId, pending.hash, pending.rotation, now),
        ).immediate();
        logger.info(
          { agentId, rotation: pending.rotation },
          'pending credential re-issued (secret lost in restart)',
        );
      }
      await this.#send(agentId);
    } catch (err) {
      logger.error({ err, agentId }, 'pending credential delivery failed');
    }
  }

  /** Validates one payload of an agent's credentials topic. */
  decode(payload: Uint8Array): Decoded<CredentialMessage> {
    return decode(CredentialMessageSchema, payload);
  }

  /** Handles one valid credential message (one switch over its type). */
  dispatch(agentId: string, message: CredentialMessage): void {
    switch (message.type) {
      case 'credential-ack':
        return this.#onAck(agentId, message.rotation);
      default: {
        const unreachable: never = message.type;
        this.#deps.logger.warn({ agentId, type: unreachable }, 'unhandled credential message');
      }
    }
  }

  #onAck(agentId: string, rotation: string): void {
    try {
      if (confirmRotation(this.#deps, agentId, rotation, 'ack')) this.#secrets.delete(agentId);
      else
        this.#deps.logger.debug({ agentId, rotation }, 'acknowledgement of a rotation that is not pending');
    } catch (err) {
      this.#deps.logger.error({ err, agentId }, 'credential confirmation failed');
    }
  }

  #newPending(agentId: string, now: number): { rotation: string; hash: string } {
    const rotation = `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
    const secret = generateSecret();
    this.#secrets.set(agentId, { rotation, secret });
    return { rotation, hash: hashSecret(secret) };
  }

  async #send(agentId: string): Promise<void> {
    const pending = this.#secrets.get(agentId);
    if (!pending) return;
    const message: CredentialRotate = {
      v: PROTOCOL_VERSION,
      type: 'credential-rotate',
      rotation: pending.rotation,
      secret: pending.secret,
    };
    try {
      // QoS 1, never retained: only the agent's own connection may subscribe to its inbox.
      await this.#deps.transport.publish(inboxTopic(agentId), encode(message), { qos: 1 });
      this.#deps.logger.debug({ agentId, rotation: pending.rotation }, 'rotated credential sent');
    } catch (err) {
      this.#deps.logger.warn({ agentId, err: (err as Error).message }, 'rotated credential not sent');
    }
  }
}

function view(id: string, rotation: string, at: number): RotationView {
  return { id, rotation, requestedAt: new Date(at).toISOString(), pending: true };
}
