import { randomBytes } from 'node:crypto';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_WIRE_BYTES,
  MAX_REPORTS_PER_BATCH,
  PROTOCOL_VERSION,
  ReportsDownMessageSchema,
  decode,
  encode,
  isJsonContentType,
  reportsAckTopic,
  reportsTopic,
  systemClock,
  type Clock,
  type ReportBatch,
  type ReportsDownMessage,
  type LinkTransport,
} from '@tether/shared';
import { planBatch, toWireReport, type BatchLimits } from './batch-plan.js';
import { InFlightWindow } from './in-flight-window.js';
import type { Outbox } from './outbox.js';
import type { OutboxRow } from './outbox-types.js';

/** The minimal logger of the forwarder. */
export interface ForwarderLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Options of a ReportForwarder. */
export interface ForwarderOptions {
  agentId: string;
  outbox: Outbox;
  transport: LinkTransport;
  logger: ForwarderLogger;
  clock?: Clock;
  /** Batches in flight at once (default 8). */
  window?: number;
  batch?: BatchLimits;
  /** Resend everything unacknowledged when an ack is this late (default 10 s). */
  ackTimeoutMs?: number;
}

/**
 * Drains the outbox to the hub: batches in outbox order over QoS 1, a bounded window in flight, rows deleted only
 * when the hub's `report-ack` says they are committed. After a reconnect (or an overdue ack) it starts again from
 * the oldest unacknowledged row; the hub deduplicates by (agent, stream, seq).
 */
export class ReportForwarder {
  readonly #o: ForwarderOptions;
  readonly #clock: Clock;
  readonly #window: InFlightWindow;
  readonly #limits: BatchLimits;
  readonly #ackTimeoutMs: number;
  readonly #prefix = randomBytes(4).toString('hex');
  readonly #stops: Array<() => unknown> = [];
  #cursor = 0;
  #counter = 0;
  #timer: unknown;
  #running = false;

  constructor(options: ForwarderOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#window = new InFlightWindow(options.window ?? 8);
    this.#limits = options.batch ?? { maxReports: MAX_REPORTS_PER_BATCH, maxBytes: MAX_BATCH_BYTES };
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  }

  /** Subscribes to the ack topic and starts draining whenever the link is up. */
  async start(): Promise<void> {
    this.#running = true;
    const { transport, outbox, agentId } = this.#o;
    this.#stops.push(transport.onConnect(() => this.#restart()));
    this.#stops.push(transport.onDisconnect(() => this.#window.clear()));
    this.#stops.push(outbox.onAccepted(() => this.pump()));
    this.#stops.push(await transport.subscribe(reportsAckTopic(agentId), (_t, p) => this.#onPayload(p)));
    this.#tick();
    if (transport.connected) this.#restart();
  }

  /** Stops sending and listening. */
  stop(): void {
    this.#running = false;
    for (const stop of this.#stops.splice(0)) void stop();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
  }

  /** Sends batches while the window has room and the outbox has unsent rows. */
  pump(): void {
    const { transport, outbox, agentId, logger } = this.#o;
    while (this.#running && transport.connected && this.#window.hasRoom) {
      let rows = planBatch(outbox.read(this.#cursor, this.#limits.maxReports), this.#limits);
      if (rows.length === 0) return;
      const batch = `${this.#prefix}-${++this.#counter}`;
      let message = this.#message(batch, rows);
      let bytes = encode(message);
      // Base64 and JSON escaping can take a batch past the broker's packet limit: halve it until it fits.
      while (Buffer.byteLength(bytes) > MAX_BATCH_WIRE_BYTES && rows.length > 1) {
        rows = rows.slice(0, Math.ceil(rows.length / 2));
        message = this.#message(batch, rows);
        bytes = encode(message);
      }
      this.#cursor = rows.at(-1)!.id;
      this.#window.add({ batch, sentAt: this.#clock.now(), reports: rows.length });
      transport.publish(reportsTopic(agentId), bytes, { qos: 1 }).catch((err: Error) => {
        // The link dropped: the reconnect starts over from the oldest unacknowledged row.
        logger.debug({ err: err.message, batch }, 'report batch not sent');
      });
    }
  }

  #message(batch: string, rows: readonly OutboxRow[]): ReportBatch {
    const message: ReportBatch = {
      v: PROTOCOL_VERSION,
      type: 'report-batch',
      batch,
      reports: rows.map((row) => toWireReport(row, isJsonContentType)),
    };
    const dropped = [...new Set(rows.map((r) => r.stream))]
      .map((stream) => ({ stream, through: this.#o.outbox.droppedThrough(stream) }))
      .filter((d) => d.through > 0);
    if (dropped.length > 0) message.dropped = dropped;
    return message;
  }

  #onPayload(payload: Uint8Array): void {
    const decoded = decode(ReportsDownMessageSchema, payload);
    if (!decoded.ok) {
      this.#o.logger.warn({ reason: decoded.reason, error: decoded.error }, 'invalid message from the hub');
      return;
    }
    this.#handle(decoded.message);
  }

  #handle(message: ReportsDownMessage): void {
    switch (message.type) {
      case 'report-ack': {
        this.#o.outbox.ack(message.acks);
        const sent = this.#window.settle(message.batch);
        const acked = message.acks.reduce((n, r) => n + r.to - r.from + 1, 0);
        // The hub kept only part of a batch of this link (it waits for an earlier seq): start over, in order.
        if (sent && acked < sent.reports) this.#restart();
        else this.pump();
        return;
      }
      default: {
        const unreachable: never = message.type;
        this.#o.logger.warn({ type: unreachable }, 'unhandled message from the hub');
      }
    }
  }

  /** Starts over from the oldest unacknowledged row. */
  #restart(): void {
    this.#window.clear();
    this.#cursor = 0;
    this.pump();
  }

  #tick(): void {
    this.#timer = this.#clock.setTimeout(
      () => {
        if (!this.#running) return;
        if (this.#window.overdue(this.#clock.now(), this.#ackTimeoutMs)) {
          this.#o.logger.warn({ timeoutMs: this.#ackTimeoutMs }, 'report ack overdue: resending');
          this.#restart();
        }
        this.#tick();
      },
      Math.max(100, Math.floor(this.#ackTimeoutMs / 4)),
    );
  }
}
