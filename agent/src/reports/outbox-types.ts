import type { Clock, OutboxStats } from '@tether/shared';

/** What the outbox does when a report would break its limits. */
export type OverflowPolicy = 'refuse' | 'drop-oldest';

/** The outbox's limits: total body bytes, age of the oldest report, and what to do beyond them. */
export interface OutboxLimits {
  maxBytes: number;
  maxAgeMs: number;
  overflow: OverflowPolicy;
}

/**
 * One report handed to the outbox: its content type and body bytes (JSON as UTF-8 text). The outbox keeps `body`
 * (it serves unsent rows from memory): do not modify it after `accept`.
 */
export interface NewReport {
  contentType: string;
  body: Buffer;
}

/** One report in the outbox, with its durable per-stream seq. */
export interface OutboxRow {
  id: number;
  stream: string;
  seq: number;
  at: number;
  contentType: string;
  body: Buffer;
}

/** What `GET /v1/status` shows of the outbox (and digests tell the hub). */
export type { OutboxStats };

/** The seqs one accepted request got. */
export interface Accepted {
  stream: string;
  first: number;
  last: number;
}

/** Options of `Outbox.open`. */
export interface OutboxOptions {
  file: string;
  limits: OutboxLimits;
  clock?: Clock;
  /** better-sqlite3's native addon, loaded (loadNativeAddon) or its path; its own in node_modules when absent. */
  nativeBinding?: string | object;
}
