import {
  PROTOCOL_VERSION,
  REPORT_FRAME_VERSION,
  decodeReportsUp,
  encode,
  reportsAckTopic,
  type Clock,
  type Decoded,
  type ReportAck,
  type ReportBatch,
  type ReportsUpMessage,
  type Transport,
} from '@tether/shared';
import { FlushWindow } from '../db/flush-window.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReportFeed } from './report-feed.js';
import type { IncomingBatch, ReportStore } from './report-store.js';

/** What the report ingress needs. */
export interface ReportIngressDeps {
  store: ReportStore;
  transport: Transport;
  feed: ReportFeed;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /**
   * The highest report protocol version to speak with agents (default and most: REPORT_FRAME_VERSION, 2): from 2 it offers compressed
   * batches in every ack and reads them; 1 behaves as hubs before version 2 did.
   */
  protocol?: number | undefined;
}

/** How long the hub gathers report batches into one commit (group commit), unless enough arrive sooner. */
const GROUP_COMMIT_MS = 1;
/** Queued reports that start the commit at once: bounds the transaction and the event-loop pause it costs. */
const GROUP_COMMIT_REPORTS = 1000;

interface Queued extends IncomingBatch {
  batch: string;
}

/**
 * The hub's ingress of `report-batch` messages: validated once with zod, queued, and committed together with the
 * other batches that arrive within GROUP_COMMIT_MS (or until GROUP_COMMIT_REPORTS are queued) in one SQLite
 * transaction (synchronous=FULL): one fsync per group instead of one per batch. Only after that commit does each
 * agent get its `report-ack`: aedes's PUBACK comes earlier and proves nothing. A failed commit acks nothing, so
 * the agents resend.
 */
export class ReportIngress {
  readonly #d: ReportIngressDeps;
  readonly #protocol: number;
  #queue: Queued[] = [];
  #queuedReports = 0;
  readonly #window = new FlushWindow(() => this.flush(), GROUP_COMMIT_MS);

  constructor(deps: ReportIngressDeps) {
    this.#d = deps;
    this.#protocol = Math.min(deps.protocol ?? REPORT_FRAME_VERSION, REPORT_FRAME_VERSION);
  }

  /** Validates one payload of an agent's reports topic: a compressed frame (version 2) is inflated first, bounded. */
  decode(payload: Uint8Array): Decoded<ReportsUpMessage> {
    return decodeReportsUp(payload, { frames: this.#protocol >= REPORT_FRAME_VERSION });
  }

  /** Counts and logs a refused payload (tether_invalid_report_batches_total): the agent resends, unacknowledged. */
  refused(agentId: string, reason: string, detail: string): void {
    this.#d.metrics.invalidReportBatches.inc({ reason });
    this.#d.logger.warn({ agentId, reason, detail }, 'invalid report batch refused');
  }

  /** Handles one valid message (one switch over its type). */
  dispatch(agentId: string, message: ReportsUpMessage): void {
    switch (message.type) {
      case 'report-batch':
        return this.#enqueue(agentId, message);
      default: {
        const unreachable: never = message.type;
        this.#d.logger.warn({ agentId, type: unreachable }, 'unhandled reports message');
      }
    }
  }

  #enqueue(agentId: string, message: ReportBatch): void {
    this.#queue.push({
      agent: agentId,
      batch: message.batch,
      reports: message.reports,
      dropped: message.dropped,
    });
    this.#queuedReports += message.reports.length;
    this.#window.queued(this.#queuedReports >= GROUP_COMMIT_REPORTS);
  }

  /** Commits everything queued in one transaction, then acknowledges each batch. */
  flush(): void {
    this.#window.flushing();
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedReports = 0;
    if (queue.length === 0) return;
    let result;
    try {
      result = this.#d.store.commit(queue, this.#d.clock.now());
    } catch (err) {
      this.#d.metrics.reportCommitFailures.inc();
      this.#d.logger.error({ err, batches: queue.length }, 'report commit failed; agents will resend');
      return;
    }
    this.#d.metrics.reportsStored.inc(result.stored.length);
    if (result.duplicates > 0) this.#d.metrics.reportDuplicates.inc(result.duplicates);
    queue.forEach((q, i) => {
      const ack: ReportAck = {
        v: PROTOCOL_VERSION,
        type: 'report-ack',
        batch: q.batch,
        acks: result.acks[i]!,
        ...(this.#protocol > 1 ? { protocol: this.#protocol } : {}),
      };
      this.#d.transport.publish(reportsAckTopic(q.agent), encode(ack), { qos: 0 }).catch((err: Error) => {
        this.#d.logger.warn({ err: err.message, agentId: q.agent }, 'report ack not sent');
      });
    });
    this.#d.feed.emit(result.stored);
  }
}
