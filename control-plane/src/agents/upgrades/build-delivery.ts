import { encode, inboxTopic, type Clock, type Transport, type UpgradeFetch } from '@tether/shared';
import type { RolloutRecord, UpgradeStore } from '../../store/upgrade-store.js';
import { readChunk } from './build-files.js';
import { DeliveryProgress } from './delivery-progress.js';

/** The bytes of one chunk the hub sends (base64 in the inbox message stays under the broker's packet limit). */
export const UPGRADE_CHUNK_BYTES = 128 * 1024;

/** What the delivery of builds needs. */
export interface BuildDeliveryDeps {
  store: UpgradeStore;
  transport: Transport;
  /** Where builds are kept, by sha256 (DATA_DIR/builds). */
  buildsDir: string;
  clock: Clock;
}

/**
 * Sends builds to agents through their inboxes: the offer, then one chunk per request, read from the file
 * (bounded memory). Remembers, for each agent in flight, how far it has fetched and when it was last heard from
 * (an offer or a chunk request), until its target or its rollout ends (DeliveryProgress).
 */
export class BuildDelivery {
  readonly #deps: BuildDeliveryDeps;
  readonly #progress: DeliveryProgress;

  constructor(deps: BuildDeliveryDeps) {
    this.#deps = deps;
    this.#progress = new DeliveryProgress(deps.clock);
  }

  /** The bytes of `rolloutId`'s build that agent `agentId` has fetched so far. */
  fetchedBytes(rolloutId: string, agentId: string): number {
    return this.#progress.fetchedBytes(rolloutId, agentId);
  }

  /** When agent `agentId` was last heard from for `rolloutId` (epoch ms), if at all. */
  heardAt(rolloutId: string, agentId: string): number | undefined {
    return this.#progress.heardAt(rolloutId, agentId);
  }

  /** Agent `agentId`'s target in `rolloutId` ended: its progress is forgotten. */
  targetEnded(rolloutId: string, agentId: string): void {
    this.#progress.targetEnded(rolloutId, agentId);
  }

  /** Rollout `rolloutId` ended: the progress of its agents is forgotten, but for those `stillSending`. */
  rolloutEnded(rolloutId: string, stillSending: Iterable<string>): void {
    this.#progress.rolloutEnded(rolloutId, stillSending);
  }

  /** Offers `rollout`'s build to agent `agentId`. */
  async offer(rollout: RolloutRecord, agentId: string): Promise<void> {
    this.#progress.heard(rollout.id, agentId);
    const offer = {
      v: 1,
      type: 'upgrade-offer',
      upgrade: rollout.id,
      sha256: rollout.sha256,
      size: rollout.size,
      signature: rollout.signature,
      chunkBytes: UPGRADE_CHUNK_BYTES,
      deadlineMs: rollout.deadlineMs,
    };
    await this.#send(agentId, offer);
  }

  /** Answers an agent's chunk request, when the agent is receiving that rollout's build; ignores it otherwise. */
  async chunk(agentId: string, fetch: UpgradeFetch): Promise<void> {
    const rollout = this.#deps.store.get(fetch.upgrade);
    const target = rollout && this.#deps.store.target(rollout.id, agentId);
    if (!rollout || target?.state !== 'sending' || fetch.offset >= rollout.size) return;
    const length = Math.min(UPGRADE_CHUNK_BYTES, rollout.size - fetch.offset);
    const bytes = readChunk(this.#deps.buildsDir, rollout.sha256, fetch.offset, length);
    this.#progress.fetched(rollout.id, agentId, fetch.offset + length);
    await this.#send(agentId, {
      v: 1,
      type: 'upgrade-chunk',
      upgrade: rollout.id,
      offset: fetch.offset,
      data: bytes.toString('base64'),
    });
  }

  async #send(agentId: string, message: object): Promise<void> {
    await this.#deps.transport.publish(inboxTopic(agentId), encode(message), { qos: 1 });
  }
}
