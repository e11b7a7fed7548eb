import { randomUUID } from 'node:crypto';
import {
  PROTOCOL_VERSION,
  RESUME_PROTOCOL_VERSION,
  advertTopic,
  advertisement,
  byKey,
  deltaParts,
  diffRoutes,
  encode,
  isEmptyDelta,
  snapshotParts,
  routesDigest,
  statusTopic,
  systemClock,
  type AdvertDelta,
  type AdvertDigest,
  type AdvertResume,
  type AdvertSnapshot,
  type AdvertiseStrategy,
  type AgentStatus,
  type Clock,
  type Labels,
  type OutboxStats,
  type ResyncRequest,
  type Route,
  type RouteKey,
  type RouteTable,
  type SyncPosition,
  type Transport,
} from '@tether/shared';
import { ADVERT_PACING, AdvertPacer, type AdvertPacing } from './advert-pacer.js';
import { agentStatusMessage } from './agent-status.js';
import type { AgentLogger } from '../observability/logger.js';

/** Options of an Advertiser. */
export interface AdvertiserOptions {
  id: string;
  strategy: AdvertiseStrategy;
  site: string;
  labels: Labels;
  /** The agent's package version, sent in its status. */
  version: string;
  table: RouteTable;
  transport: Transport;
  logger: AgentLogger;
  digestIntervalMs: number;
  clock?: Clock;
  /** Makes a fresh epoch id (default randomUUID). */
  newEpoch?: () => string;
  /** The report outbox's figures, sent with each digest for the operator's view. */
  outboxStats?: () => OutboxStats;
  /** Coalescing and rate of deltas (default ADVERT_PACING). */
  pacing?: AdvertPacing;
  /** The most route bytes one message carries (default MAX_ADVERT_BYTES); bigger sets go in parts. */
  maxAdvertBytes?: number;
  /** Where the central routes the agent holds stand (sent in a resume, so the hub can skip a full send). */
  centralPosition?: () => SyncPosition | undefined;
}

/**
 * The agent -> hub half of route sync. On every connect: retained online status, then a snapshot in a fresh
 * epoch, or, when the hub offered protocol 3 and the advertised set is what was last sent, a resume of the epoch
 * (the hub answers a resync request if it cannot). Then changes of `advertisement(table, strategy, id)` go out as
 * non-empty deltas (seq + 1 each), coalesced and paced (AdvertPacer), and a digest every interval. A set too big
 * for one packet goes in parts. While disconnected nothing is sent: the next snapshot or resume covers it.
 */
export class Advertiser {
  readonly #opts: AdvertiserOptions;
  readonly #clock: Clock;
  #connected = false;
  #epoch = '';
  #seq = 0;
  #advertised = new Map<RouteKey, Route>();
  #digestTimer: unknown;
  readonly #pacer: AdvertPacer;
  /** The highest protocol version the hub offered (in `agent-routes`); 1 until it said. */
  #hubProtocol = 1;
  /** A resume was sent and the hub has not answered it yet. */
  #resuming = false;

  constructor(options: AdvertiserOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#pacer = new AdvertPacer(options.pacing ?? ADVERT_PACING, this.#clock, () => this.#flush());
  }

  /** The advertised set as last sent. */
  get advertised(): Route[] {
    return [...this.#advertised.values()];
  }

  /** The current epoch and seq (epoch is empty before the first snapshot). */
  get position(): { epoch: string; seq: number } {
    return { epoch: this.#epoch, seq: this.#seq };
  }

  /**
   * The link is up (inbox already subscribed): announce online, then resume when the hub speaks protocol 3 and
   * nothing changed since the last message sent, else send a snapshot; start digests.
   */
  connected(): void {
    this.#connected = true;
    this.#publish(statusTopic(this.#opts.id), this.status('online'), true);
    if (this.#mayResume()) this.#resume();
    else this.snapshot();
    this.#scheduleDigest();
  }

  /** The hub answered (`agent-routes`), offering protocol `version` (older hubs offer nothing: 1). */
  hubAnswered(version: number | undefined): void {
    this.#hubProtocol = version ?? 1;
    this.#resuming = false;
  }

  /**
   * The hub reported an error (`code`). While a resume is unanswered, `invalid_message` means a hub that does not
   * know resumes (downgraded while the link was down): fall back to a snapshot. Other errors (a refused version)
   * are not about the resume.
   */
  hubErred(code: string): void {
    if (!this.#resuming || code !== 'invalid_message') return;
    this.#resuming = false;
    this.#hubProtocol = 1;
    this.snapshot();
  }

  #mayResume(): boolean {
    if (this.#hubProtocol < RESUME_PROTOCOL_VERSION || this.#epoch === '') return false;
    return isEmptyDelta(diffRoutes(this.#advertised, this.#compute()));
  }

  /** Resumes the current epoch and seq: the advertised set is what the hub should hold already. */
  #resume(): void {
    this.#resuming = true;
    const central = this.#opts.centralPosition?.();
    const message: AdvertResume = {
      v: PROTOCOL_VERSION,
      type: 'advert-resume',
      epoch: this.#epoch,
      seq: this.#seq,
      digest: routesDigest(this.#advertised.values()),
      count: this.#advertised.size,
      strategy: this.#opts.strategy,
      site: this.#opts.site,
      labels: this.#opts.labels,
      ...(central ? { central } : {}),
      ...this.#outbox(),
    };
    this.#publish(advertTopic(this.#opts.id), message);
  }

  /** The link is down: stop sending until the next connect. */
  disconnected(): void {
    this.#connected = false;
    this.#pacer.cancel();
    this.#cancelDigest();
  }

  /** Sends the whole advertised set in a new epoch (on connect and when the hub asks for a resync). */
  snapshot(): void {
    if (!this.#connected) return;
    this.#pacer.cancel(); // the snapshot carries every change so far
    this.#resuming = false;
    this.#epoch = (this.#opts.newEpoch ?? randomUUID)();
    this.#advertised = this.#compute();
    const parts = snapshotParts(this.advertised, this.#opts.maxAdvertBytes);
    parts.forEach((routes, i) => {
      const message: AdvertSnapshot = {
        v: PROTOCOL_VERSION,
        type: 'advert-snapshot',
        epoch: this.#epoch,
        seq: i,
        strategy: this.#opts.strategy,
        site: this.#opts.site,
        labels: this.#opts.labels,
        routes,
        ...(i === parts.length - 1 ? this.#outbox() : {}), // the hub applies (and reads) the last part
        ...(i < parts.length - 1 ? { more: true as const } : {}),
      };
      this.#publish(advertTopic(this.#opts.id), message);
    });
    this.#seq = parts.length - 1;
    this.#pacer.spend(parts.length);
  }

  /** The table changed: the difference goes out once the pacer lets it (changes meanwhile coalesce). */
  changed(): void {
    if (!this.#connected) return;
    this.#pacer.request();
  }

  /** Sends the difference between the advertised set and the table's, if any; returns the messages sent. */
  #flush(): number {
    if (!this.#connected) return 0;
    const next = this.#compute();
    const delta = diffRoutes(this.#advertised, next);
    if (isEmptyDelta(delta)) return 0;
    this.#advertised = next;
    const parts = deltaParts(delta.upserts, delta.removes, this.#opts.maxAdvertBytes);
    for (const part of parts) {
      const message: AdvertDelta = {
        v: PROTOCOL_VERSION,
        type: 'advert-delta',
        epoch: this.#epoch,
        seq: ++this.#seq,
        ...part,
      };
      this.#publish(advertTopic(this.#opts.id), message);
    }
    return parts.length;
  }

  /** The outbox figures to send along, when the agent has an outbox. */
  #outbox(): { outbox?: OutboxStats } {
    return this.#opts.outboxStats ? { outbox: this.#opts.outboxStats() } : {};
  }

  /** Sends a digest of the advertised set at the current seq. */
  digest(): void {
    if (!this.#connected) return;
    const message: AdvertDigest = {
      v: PROTOCOL_VERSION,
      type: 'advert-digest',
      epoch: this.#epoch,
      seq: this.#seq,
      digest: routesDigest(this.#advertised.values()),
      count: this.#advertised.size,
      ...this.#outbox(),
    };
    this.#publish(advertTopic(this.#opts.id), message);
  }

  /** Asks the hub for a full `agent-routes` (after a gap or an unknown epoch). */
  requestResync(reason: string): void {
    if (!this.#connected) return;
    const message: ResyncRequest = {
      v: PROTOCOL_VERSION,
      type: 'resync-request',
      reason: reason.slice(0, 256),
    };
    this.#publish(advertTopic(this.#opts.id), message);
  }

  /** The agent's status message (online on connect; offline as the Last Will and on shutdown). */
  status(status: 'online' | 'offline'): AgentStatus {
    return agentStatusMessage(this.#opts, status, this.#clock.now());
  }

  #compute(): Map<RouteKey, Route> {
    return byKey(advertisement(this.#opts.table.list(), this.#opts.strategy, this.#opts.id));
  }

  #publish(topic: string, message: object, retain = false): void {
    // Publishes are written in call order on the one connection; a failure means the link dropped, and the
    // snapshot after the reconnect repairs whatever was lost.
    this.#opts.transport.publish(topic, encode(message), { qos: 1, retain }).catch((err: Error) => {
      this.#opts.logger.debug({ topic, err: err.message }, 'publish failed');
    });
  }

  #scheduleDigest(): void {
    this.#cancelDigest();
    this.#digestTimer = this.#clock.setTimeout(() => {
      this.#digestTimer = undefined;
      if (!this.#connected) return;
      this.digest();
      this.#scheduleDigest();
    }, this.#opts.digestIntervalMs);
  }

  #cancelDigest(): void {
    if (this.#digestTimer === undefined) return;
    this.#clock.clearTimeout(this.#digestTimer);
    this.#digestTimer = undefined;
  }
}
