import { randomBytes } from 'node:crypto';
import { encodeBatch, type EncodedBatch } from './batch-encode.js';
import type { BatchLimits } from './batch-plan.js';
import type { ReportOutbox } from './lazy-outbox.js';
import {
  advanceCursors,
  planPriorityBatch,
  priorityClasses,
  type PriorityClass,
  type StreamPriority,
} from './stream-priority.js';
import { compressionQuality, nextWireRatio } from './uplink-plan.js';

/** A batch ready to send: its id, its encoded payload, how many reports it holds. */
export interface NextBatch extends EncodedBatch {
  batch: string;
  reports: number;
  /** More rows were waiting when it was planned (it does not drain the outbox). */
  more: boolean;
}

/**
 * What the forwarder sends next: batches read from the outbox highest stream priority first, in outbox order
 * within each class, sized to a byte budget by the wire bytes per body byte that recent batches took. Owns the
 * cursor of each priority class (rows already in flight are not read again) and the batch ids.
 */
export class BatchSource {
  readonly #outbox: ReportOutbox;
  readonly #limits: BatchLimits;
  readonly #classes: PriorityClass[];
  readonly #prefix = randomBytes(4).toString('hex');
  /** Wire bytes per body byte of recent batches, plain and compressed (first guesses: small JSON reports). */
  readonly #ratio = { json: 2.5, br: 0.3 };
  #cursors: number[];
  #counter = 0;

  constructor(
    outbox: ReportOutbox,
    limits: BatchLimits,
    streamPriority: Readonly<Record<string, StreamPriority>>,
  ) {
    this.#outbox = outbox;
    this.#limits = limits;
    this.#classes = priorityClasses(streamPriority);
    this.#cursors = this.#classes.map(() => 0);
  }

  /**
   * Plans, encodes and returns the next batch of about `batchBytes` on the wire (compressed or not; `rate`, the
   * link's bytes per second if known, picks the compression quality), advancing each class's cursor past what it
   * took; undefined: nothing to send.
   */
  next(batchBytes: number, compress: boolean, rate: number | null): NextBatch | undefined {
    const outbox = this.#outbox;
    const lastId = outbox.lastId;
    const maxReports = this.#limits.maxReports;
    const reads = this.#classes.map((c, i) => outbox.read(this.#cursors[i]!, maxReports, c.filter));
    const key = compress ? 'br' : 'json';
    const maxBytes = Math.min(this.#limits.maxBytes, Math.max(1, Math.floor(batchBytes / this.#ratio[key])));
    const planned = planPriorityBatch(reads, { maxReports, maxBytes });
    if (planned.every((rows) => rows.length === 0)) {
      this.#cursors = advanceCursors(this.#cursors, reads, planned, lastId, maxReports);
      return undefined;
    }
    const batch = `${this.#prefix}-${++this.#counter}`;
    const encoded = encodeBatch(batch, planned, {
      compress,
      quality: compressionQuality(rate),
      droppedThrough: (stream) => outbox.droppedThrough(stream),
    });
    this.#cursors = advanceCursors(this.#cursors, reads, encoded.perClass, lastId, maxReports);
    this.#ratio[key] = nextWireRatio(this.#ratio[key], encoded.wireBytes, encoded.bodyBytes);
    const more = reads.some(
      (read, i) => encoded.perClass[i]!.length < read.length || read.length === maxReports,
    );
    return { ...encoded, batch, reports: encoded.perClass.reduce((n, r) => n + r.length, 0), more };
  }

  /** Reads again from the oldest unacknowledged row of every class. */
  restart(): void {
    this.#cursors = this.#classes.map(() => 0);
  }

  /** The outbox's backlog as wire bytes, by the ratio of recent batches (`br`: compressed). */
  backlogBytes(compression: 'br' | null): number {
    return Math.round(this.#outbox.stats().bytes * this.#ratio[compression ?? 'json']);
  }
}
