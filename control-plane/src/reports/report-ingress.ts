import {
  PROTOCOL_VERSION,
  ReportsUpMessageSchema,
  agentIdFromTopic,
  decode,
  encode,
  reportsAckTopic,
  type Clock,
  type ReportAck,
  type ReportBatch,
  type ReportsUpMessage,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
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
}

interface Queued extends IncomingBatch {
  batch: string;
}

/**
 * The hub's ingress of `report-batch` messages: validated once with zod, queued, and committed together with the
 * other batches of the same tick in one SQLite transaction (synchronous=FULL). Only after that commit does each
 * agent get its `report-ack`: aedes's PUBACK comes earlier and proves nothing. A failed commit acks nothing, so
 * the agents resend.
 */
export class ReportIngress {
  readonly #d: ReportIngressDeps;
  #queue: Queued[] = [];
  #scheduled = false;

  constructor(deps: ReportIngressDeps) {
    this.#d = deps;
  }

  /** Handles one payload from an agent's reports topic. Never throws. */
  handlePayload(topic: string, payload: Uint8Array): void {
    const agentId = agentIdFromTopic(topic);
    if (!agentId) return;
    const decoded = decode(ReportsUpMessageSchema, payload);
    if (!decoded.ok) {
      this.#d.metrics.invalidReportBatches.inc({ reason: decoded.reason });
      this.#d.logger.warn(
        { agentId, reason: decoded.reason, detail: decoded.error.slice(0, 300) },
        'invalid report batch refused',
      );
      return;
    }
    this.#dispatch(agentId, decoded.message);
  }

  #dispatch(agentId: string, message: ReportsUpMessage): void {
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
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commits everything queued in one transaction, then acknowledges each batch. */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
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
      };
      this.#d.transport.publish(reportsAckTopic(q.agent), encode(ack), { qos: 0 }).catch((err: Error) => {
        this.#d.logger.warn({ err: err.message, agentId: q.agent }, 'report ack not sent');
      });
    });
    this.#d.feed.emit(result.stored);
  }
}
