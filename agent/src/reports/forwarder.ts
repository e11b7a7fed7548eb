import {
  MAX_BATCH_BYTES,
  MAX_PROTOCOL_VERSION,
  MAX_REPORTS_PER_BATCH,
  REPORT_FRAME_VERSION,
  ReportsDownMessageSchema,
  decode,
  reportsAckTopic,
  reportsTopic,
  systemClock,
  type Clock,
  type LinkTransport,
  type ReportsDownMessage,
} from '@tether/shared';
import type { BatchLimits } from './batch-plan.js';
import { BatchSource, type NextBatch } from './batch-source.js';
import { InFlightWindow, type InFlightBatch } from './in-flight-window.js';
import type { ReportOutbox } from './lazy-outbox.js';
import type { StreamPriority } from './stream-priority.js';
import { UplinkPacer } from './uplink-pacer.js';
import { DEFAULT_TUNING, ackTimeoutMs, type UplinkTuning } from './uplink-plan.js';
import { uplinkStatus, type UplinkStatus } from './uplink-status.js';
import { UplinkWindow } from './uplink-window.js';
import { WakeTimer } from './wake-timer.js';

/** The minimal logger of the forwarder. */
export interface ForwarderLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Options of a ReportForwarder. */
export interface ForwarderOptions {
  agentId: string;
  outbox: ReportOutbox;
  transport: LinkTransport;
  logger: ForwarderLogger;
  clock?: Clock;
  batch?: BatchLimits;
  /** Per-stream priority (`--stream-priority`); unlisted streams are normal. */
  streamPriority?: Readonly<Record<string, StreamPriority>>;
  /** At most this many report bytes per second on the wire (`--uplink-max-rate`); default uncapped. */
  maxRate?: number | null;
  /** The highest protocol version to speak (default MAX_PROTOCOL_VERSION; 1 never compresses). */
  maxProtocol?: number;
  tuning?: Partial<UplinkTuning>;
}

/** A bound on the batches one pump sends (the window bounds them long before). */
const MAX_BATCHES_PER_PUMP = 256;

/**
 * Drains the outbox to the hub, clocked by the hub's `report-ack`s and sized by the link (UplinkWindow): about one
 * bandwidth-delay product plus 0.7 s of report bytes in flight at most, so route sync, digests and keepalives
 * queued behind them wait less than a second. Batches are filled highest stream priority first, in outbox
 * order within each class; compressed once the hub offered protocol version 2 on this connection. Rows are deleted
 * only when an ack says they are committed. An overdue ack resends that batch alone; after a reconnect, or when the
 * hub kept only part of a batch (it waits for an earlier seq), it starts again from the oldest unacknowledged row
 * (the hub deduplicates by (agent, stream, seq)).
 */
export class ReportForwarder {
  readonly #o: ForwarderOptions;
  readonly #clock: Clock;
  readonly #tuning: UplinkTuning;
  readonly #maxRate: number | null;
  readonly #maxProtocol: number;
  readonly #source: BatchSource;
  readonly #window = new InFlightWindow();
  readonly #link: UplinkWindow;
  readonly #pacer: UplinkPacer | undefined;
  readonly #timer: WakeTimer;
  readonly #stops: Array<() => unknown> = [];
  /** The protocol version the hub offered on this connection (1 until its first ack says more). */
  #hubProtocol = 1;
  #bytesSent = 0;
  #bytesResent = 0;
  #running = false;

  constructor(options: ForwarderOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.#maxRate = options.maxRate ?? null;
    this.#maxProtocol = options.maxProtocol ?? MAX_PROTOCOL_VERSION;
    const limits = options.batch ?? { maxReports: MAX_REPORTS_PER_BATCH, maxBytes: MAX_BATCH_BYTES };
    this.#source = new BatchSource(options.outbox, limits, options.streamPriority ?? {});
    this.#link = new UplinkWindow(this.#tuning, this.#maxRate);
    if (this.#maxRate !== null) this.#pacer = new UplinkPacer(this.#maxRate, this.#tuning.minBatchBytes);
    this.#timer = new WakeTimer(this.#clock, () => this.#onTimer());
  }

  /** Subscribes to the ack topic and starts draining whenever the link is up. */
  async start(): Promise<void> {
    this.#running = true;
    const { transport, outbox, agentId } = this.#o;
    this.#stops.push(transport.onConnect(() => this.#connected()));
    this.#stops.push(transport.onDisconnect(() => this.#forgetInFlight()));
    this.#stops.push(outbox.onAccepted(() => this.pump()));
    this.#stops.push(await transport.subscribe(reportsAckTopic(agentId), (_t, p) => this.#onPayload(p)));
    if (transport.connected) this.#connected();
  }

  /** Stops sending and listening. */
  stop(): void {
    this.#running = false;
    for (const stop of this.#stops.splice(0)) void stop();
    this.#timer.cancel();
  }

  /** Sends batches while the window and the rate cap allow and the outbox has unsent rows. */
  pump(): void {
    const { transport } = this.#o;
    for (let n = 0; n < MAX_BATCHES_PER_PUMP && this.#running && transport.connected; n++) {
      const now = this.#clock.now();
      if (!this.#link.hasRoom(this.#window.bytes, this.#window.count)) break;
      if ((this.#pacer?.wait(now) ?? 0) > 0) break;
      const compress = this.#hubProtocol >= REPORT_FRAME_VERSION;
      const next = this.#source.next(this.#link.targets.batchBytes, compress, this.#link.rate);
      if (!next) break;
      this.#send(next, now);
    }
    this.#arm();
  }

  /** The uplink as measured now (for `/v1/status`, metrics and digests). */
  uplink(): UplinkStatus {
    const compression = this.#hubProtocol >= REPORT_FRAME_VERSION ? 'br' : null;
    return uplinkStatus({
      link: this.#link,
      maxRate: this.#maxRate,
      window: this.#window,
      sent: { bytes: this.#bytesSent, resent: this.#bytesResent },
      backlogBytes: this.#source.backlogBytes(compression),
      compression,
    });
  }

  #send(next: NextBatch, now: number): void {
    const ahead = this.#window.bytes;
    const estimate = this.#link.estimate;
    const timeout = ackTimeoutMs(ahead, next.wireBytes, estimate, this.#maxRate, 0, this.#tuning);
    this.#window.add({
      batch: next.batch,
      payload: next.payload,
      bytes: next.wireBytes,
      reports: next.reports,
      sentAt: now,
      deadline: now + timeout,
      resends: 0,
    });
    const appLimited = !next.more && this.#link.hasRoom(this.#window.bytes, this.#window.count);
    this.#link.sent(next.batch, next.wireBytes, now, appLimited);
    this.#pacer?.charge(next.wireBytes, now);
    this.#bytesSent += next.wireBytes;
    this.#publish(next.batch, next.payload);
  }

  /** Sends an overdue batch again, alone, with a doubled deadline. */
  #resend(sent: InFlightBatch, now: number): void {
    sent.resends++;
    const ahead = this.#window.bytes - sent.bytes;
    const estimate = this.#link.estimate;
    const timeout = ackTimeoutMs(ahead, sent.bytes, estimate, this.#maxRate, sent.resends, this.#tuning);
    sent.deadline = now + timeout;
    this.#link.resent(sent.batch);
    this.#pacer?.charge(sent.bytes, now);
    this.#bytesSent += sent.bytes;
    this.#bytesResent += sent.bytes;
    this.#o.logger.warn(
      { batch: sent.batch, resends: sent.resends, waitedMs: now - sent.sentAt, bytes: sent.bytes },
      'report ack overdue: resending that batch',
    );
    this.#publish(sent.batch, sent.payload);
  }

  #publish(batch: string, payload: Buffer | string): void {
    const { transport, agentId, logger } = this.#o;
    transport.publish(reportsTopic(agentId), payload, { qos: 1 }).catch((err: Error) => {
      // The link dropped: the reconnect starts over from the oldest unacknowledged row.
      logger.debug({ err: err.message, batch }, 'report batch not sent');
    });
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
        if (!sent) return this.pump(); // a late ack of an earlier link, or of a batch sent twice
        this.#hubProtocol = Math.min(message.protocol ?? 1, this.#maxProtocol);
        this.#link.acked(message.batch, sent.bytes, this.#clock.now());
        const acked = message.acks.reduce((n, r) => n + r.to - r.from + 1, 0);
        // The hub kept only part of a batch of this link (it waits for an earlier seq): start over, in order.
        if (acked < sent.reports) this.#restart();
        else this.pump();
        return;
      }
      default: {
        const unreachable: never = message.type;
        this.#o.logger.warn({ type: unreachable }, 'unhandled message from the hub');
      }
    }
  }

  /** A new connection: the hub's protocol is unknown until its first ack; a probe first, from the oldest row. */
  #connected(): void {
    this.#hubProtocol = 1;
    this.#forgetInFlight();
    this.#link.reset();
    this.#restart();
  }

  /** Starts over from the oldest unacknowledged row. */
  #restart(): void {
    this.#forgetInFlight();
    this.#source.restart();
    this.pump();
  }

  /** What is in flight will be sent again: counted as resent, forgotten. */
  #forgetInFlight(): void {
    this.#bytesResent += this.#window.bytes;
    this.#window.clear();
    this.#link.forget();
  }

  #onTimer(): void {
    if (!this.#running) return;
    const now = this.#clock.now();
    if (this.#o.transport.connected) for (const sent of this.#window.overdue(now)) this.#resend(sent, now);
    this.pump();
  }

  /** Wakes up for the earliest of: an ack deadline, the end of a rate-cap wait. */
  #arm(): void {
    if (!this.#running) return;
    const now = this.#clock.now();
    const deadline = this.#window.nextDeadline;
    if (deadline !== undefined) this.#timer.wakeBy(deadline);
    const pace = this.#pacer?.wait(now) ?? 0;
    if (pace > 0) this.#timer.wakeBy(now + pace);
  }
}
