import { createHash, randomBytes } from 'node:crypto';
import type { Aedes } from 'aedes';
import {
  ConflictError,
  decode,
  inboxTopic,
  NotFoundError,
  UpgradeMessageSchema,
  type Clock,
  type Decoded,
  type Transport,
  type UpgradeMessage,
  type UpgradeResult,
} from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { RolloutRecord, TargetRecord, UpgradeStore } from '../../store/upgrade-store.js';
import { selectAgents } from './agent-selector.js';
import { BuildDelivery } from './build-delivery.js';
import { keepBuild } from './build-files.js';
import { overdueTargets, rolloutStep, silenceLimitMs } from './rollout-policy.js';
import { signBuild, type UpgradeKey } from './upgrade-key.js';

/** The ends of a target that took the whole build (their progress is forgotten: they fetched all of it). */
const FETCHED_ALL: ReadonlySet<TargetRecord['state']> = new Set(['upgraded', 'rolled-back']);

/** How many agents receive a build at once after the canaries. */
const DEFAULT_PARALLEL = 10;

/** What a rollout is asked to do: the build, which agents, how many canaries, when to stop, the deadline. */
export interface RolloutRequest {
  build: Uint8Array;
  agents: string;
  canary: number;
  maxFailures: number;
  deadlineMs: number;
}

/** A rollout and its agents, with the bytes each has fetched so far (for the API and the dashboard). */
export interface RolloutView extends RolloutRecord {
  targets: Array<TargetRecord & { fetchedBytes: number }>;
}

/** What the rollouts need. */
export interface UpgradeRolloutsDeps {
  store: UpgradeStore;
  agents: AgentStore;
  transport: Transport;
  key: UpgradeKey;
  /** Where builds are kept, by sha256 (DATA_DIR/builds). */
  buildsDir: string;
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
  isConnected(agentId: string): boolean;
  parallel?: number;
}

/**
 * The hub's side of fleet upgrades (docs/upgrades.md): stores a build by its digest and signs it, persists a
 * rollout, offers the build to the agents the pure policy (rolloutStep) starts, answers their chunk requests from
 * the file (one chunk per request: bounded memory), and records each outcome, which moves the rollout on. A
 * restarted control plane re-offers to the agents it was sending to when they subscribe to their inbox again.
 */
export class UpgradeRollouts {
  readonly #deps: UpgradeRolloutsDeps;
  readonly #delivery: BuildDelivery;

  constructor(deps: UpgradeRolloutsDeps) {
    this.#deps = deps;
    this.#delivery = new BuildDelivery(deps);
  }

  /** Stores and signs the build, selects the agents, persists the rollout and starts its canaries. */
  async create(request: RolloutRequest, actor: string): Promise<RolloutView> {
    const { store, agents, clock } = this.#deps;
    const chosen = selectAgents(request.agents, agents.list());
    const sha256 = createHash('sha256').update(request.build).digest('hex');
    keepBuild(this.#deps.buildsDir, sha256, request.build);
    const id = `up-${randomBytes(6).toString('hex')}`;
    const rollout = {
      id,
      sha256,
      size: request.build.byteLength,
      signature: signBuild(this.#deps.key, sha256, request.build.byteLength),
      selector: request.agents,
      canary: request.canary,
      maxFailures: request.maxFailures,
      deadlineMs: request.deadlineMs,
      createdAt: clock.now(),
    };
    this.#deps.audit.atomically(() => {
      store.insert(
        rollout,
        chosen.map((a) => a.id),
      );
      this.#deps.audit.record({
        kind: 'upgrade-started',
        actor,
        detail: { rollout: id, sha256, size: rollout.size, agents: chosen.length, canary: request.canary },
      });
    });
    this.#deps.logger.info({ rollout: id, sha256, agents: chosen.length }, 'upgrade rollout started');
    await this.#advance(id);
    return this.view(id);
  }

  /** One rollout with its agents. */
  view(id: string): RolloutView {
    const rollout = this.#deps.store.get(id);
    if (!rollout)
      throw new NotFoundError(`upgrade rollout "${id}" not found: GET /api/v1/upgrades lists them`);
    return {
      ...rollout,
      targets: this.#deps.store.targets(id).map((t) => ({
        ...t,
        fetchedBytes: FETCHED_ALL.has(t.state) ? rollout.size : this.#delivery.fetchedBytes(id, t.agentId),
      })),
    };
  }

  /** Every rollout, newest first. */
  list(): RolloutView[] {
    return this.#deps.store.list().map((r) => this.view(r.id));
  }

  /** Moves every running rollout on (at start, after a restart). */
  async resume(): Promise<void> {
    for (const rollout of this.#deps.store.running()) await this.#advance(rollout.id);
  }

  /**
   * Moves upgrades on whenever an agent subscribes to its inbox (after every connect): an offer published at its
   * CONNECT, before that subscription, reached nobody (clean sessions), and after a control-plane restart the agent
   * it was sending to waited for chunks until the silence limit.
   */
  attach(broker: Aedes): void {
    broker.on('subscribe', (subscriptions, client) => {
      if (!client || !subscriptions.some((s) => s.topic === inboxTopic(client.id))) return;
      this.agentListening(client.id).catch((err: unknown) => {
        this.#deps.logger.error({ err, agentId: client.id }, 'moving upgrades on for an agent failed');
      });
    });
  }

  /**
   * An agent can hear its inbox: offer again what it was receiving, and start it if a rollout waits for it. Only
   * rollouts the agent is a pending or receiving target of move: another agent's connect changes nothing for them
   * (a storm during a rollout over the whole fleet must not read every target once per connect).
   */
  async agentListening(agentId: string): Promise<void> {
    for (const rollout of this.#deps.store.running()) {
      const target = this.#deps.store.target(rollout.id, agentId);
      if (target?.state !== 'pending' && target?.state !== 'sending') continue;
      if (target.state === 'sending') await this.#delivery.offer(rollout, agentId);
      await this.#advance(rollout.id);
    }
  }

  /**
   * Counts as failed (`timed-out`) every agent in flight not heard from within its rollout's silence limit
   * (silenceLimitMs), so a rollout never waits forever on an agent that died mid-hand-over or ignores offers.
   * Run on a timer.
   */
  async sweep(): Promise<void> {
    const { store, clock, audit, logger } = this.#deps;
    const now = clock.now();
    for (const rollout of store.running()) {
      const targets = store.targets(rollout.id);
      const updatedAt = new Map(targets.map((t) => [t.agentId, t.updatedAt]));
      const limitMs = silenceLimitMs(rollout.deadlineMs);
      const heard = (agentId: string): number =>
        Math.max(this.#delivery.heardAt(rollout.id, agentId) ?? 0, updatedAt.get(agentId) ?? 0);
      const overdue = overdueTargets(targets, heard, now, limitMs);
      if (overdue.length === 0) continue;
      const reason =
        `no word from the agent for ${Math.round(limitMs / 1000)} s while it was being upgraded: it may be ` +
        'offline, have died during its hand-over, or be too old to take upgrades (see its log)';
      audit.atomically(() => {
        for (const agentId of overdue) {
          store.setTarget(rollout.id, agentId, 'timed-out', now, { reason });
          audit.record({ kind: 'upgrade-timed-out', agentId, detail: { rollout: rollout.id, reason } });
        }
      });
      for (const agentId of overdue) this.#delivery.targetEnded(rollout.id, agentId);
      logger.warn({ rollout: rollout.id, agents: overdue }, 'agent upgrade timed out');
      await this.#advance(rollout.id);
    }
  }

  /**
   * Stops a running rollout: the agents not started are skipped; those receiving the build finish (their
   * outcome is still recorded). Conflict when it is not running.
   */
  cancel(id: string, actor: string): RolloutView {
    const { store, clock, audit, logger } = this.#deps;
    const rollout = this.view(id);
    if (rollout.state !== 'running')
      throw new ConflictError(
        `upgrade rollout "${id}" is ${rollout.state} already: only a running one stops`,
      );
    const now = clock.now();
    const reason = `cancelled by ${actor}`;
    audit.atomically(() => {
      for (const t of rollout.targets)
        if (t.state === 'pending') store.setTarget(id, t.agentId, 'skipped', now, { reason });
      store.setRollout(id, 'stopped', reason, now);
      audit.record({ kind: 'upgrade-stopped', actor, detail: { rollout: id, reason } });
    });
    this.#delivery.rolloutEnded(id, sendingAgents(rollout.targets));
    logger.info({ rollout: id, actor }, 'upgrade rollout cancelled');
    return this.view(id);
  }

  /** Validates a payload of an agent's upgrades topic. */
  decode(payload: Uint8Array): Decoded<UpgradeMessage> {
    return decode(UpgradeMessageSchema, payload);
  }

  /** One message on an agent's upgrades topic. */
  async dispatch(agentId: string, message: UpgradeMessage): Promise<void> {
    switch (message.type) {
      case 'upgrade-fetch':
        return this.#delivery.chunk(agentId, message);
      case 'upgrade-result':
        return this.#result(agentId, message);
      default: {
        const unreachable: never = message;
        throw new Error(`unknown upgrade message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  async #advance(id: string): Promise<void> {
    const { store, clock } = this.#deps;
    const rollout = store.get(id);
    if (!rollout || rollout.state !== 'running') return;
    const step = rolloutStep(
      {
        canary: rollout.canary,
        maxFailures: rollout.maxFailures,
        parallel: this.#deps.parallel ?? DEFAULT_PARALLEL,
      },
      store.targets(id),
      (agentId) => this.#deps.isConnected(agentId),
    );
    const now = clock.now();
    for (const agentId of step.skip) store.setTarget(id, agentId, 'skipped', now, { reason: step.reason });
    for (const agentId of step.start) store.setTarget(id, agentId, 'sending', now);
    if (step.state !== 'running') {
      store.setRollout(id, step.state, step.reason ?? null, now);
      this.#delivery.rolloutEnded(id, sendingAgents(store.targets(id)));
      if (step.state === 'stopped')
        this.#deps.audit.record({ kind: 'upgrade-stopped', detail: { rollout: id, reason: step.reason } });
      this.#deps.logger.info(
        { rollout: id, state: step.state, reason: step.reason },
        'upgrade rollout finished',
      );
    }
    for (const agentId of step.start) await this.#delivery.offer(rollout, agentId);
  }

  async #result(agentId: string, result: UpgradeResult): Promise<void> {
    const { store, clock, audit, logger } = this.#deps;
    const rollout = store.get(result.upgrade);
    const target = rollout && store.target(rollout.id, agentId);
    if (!rollout || target?.state !== 'sending') return;
    const detail = { version: result.version, reason: result.reason };
    audit.atomically(() => {
      store.setTarget(rollout.id, agentId, result.outcome, clock.now(), detail);
      audit.record({
        kind: result.outcome === 'upgraded' ? 'upgrade-succeeded' : `upgrade-${result.outcome}`,
        agentId,
        actor: 'agent',
        detail: { rollout: rollout.id, ...detail },
      });
    });
    this.#delivery.targetEnded(rollout.id, agentId);
    const log = result.outcome === 'upgraded' ? logger.info.bind(logger) : logger.warn.bind(logger);
    log({ rollout: rollout.id, agentId, ...detail }, `agent upgrade ${result.outcome}`);
    await this.#advance(rollout.id);
  }
}

/** The agents of `targets` still receiving the build. */
function sendingAgents(targets: readonly TargetRecord[]): string[] {
  return targets.filter((t) => t.state === 'sending').map((t) => t.agentId);
}
