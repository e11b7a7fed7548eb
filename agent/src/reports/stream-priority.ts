import { planBatch, type BatchLimits } from './batch-plan.js';

/** The priorities a stream may have (`--stream-priority alarms=high,metrics=low`); unlisted streams are normal. */
export const STREAM_PRIORITIES = ['high', 'normal', 'low'] as const;
/** A stream's priority. */
export type StreamPriority = (typeof STREAM_PRIORITIES)[number];

/** Which streams one priority class reads: those listed, or (`exclude`) every stream but those listed. */
export interface StreamFilter {
  streams: readonly string[];
  exclude: boolean;
}

/** One priority class: its priority and the streams it covers. */
export interface PriorityClass {
  priority: StreamPriority;
  filter: StreamFilter;
}

/**
 * The classes to read, highest first: one per priority with streams, and always `normal` (every stream not listed
 * as high or low). Without any priorities that is one class of every stream: plain outbox order.
 */
export function priorityClasses(priorities: Readonly<Record<string, StreamPriority>>): PriorityClass[] {
  const listed = (p: StreamPriority): string[] =>
    Object.entries(priorities)
      .filter(([, priority]) => priority === p)
      .map(([stream]) => stream)
      .sort();
  const high = listed('high');
  const low = listed('low');
  const classes: PriorityClass[] = [];
  if (high.length > 0) classes.push({ priority: 'high', filter: { streams: high, exclude: false } });
  classes.push({ priority: 'normal', filter: { streams: [...high, ...low], exclude: true } });
  if (low.length > 0) classes.push({ priority: 'low', filter: { streams: low, exclude: false } });
  return classes;
}

/**
 * Fills one batch from the classes' unsent rows (each in outbox order), highest class first, within the limits:
 * per class, the prefix it gives. A higher class's rows always go before any lower one's, and each class keeps
 * its order, so each stream (in exactly one class) keeps its order.
 */
export function planPriorityBatch<T extends { body: { length: number } }>(
  candidates: readonly (readonly T[])[],
  limits: BatchLimits,
): T[][] {
  const all = planBatch(candidates.flat(), limits);
  return truncatePriorityBatch(candidates, all.length);
}

/** The first `count` rows of the classes in priority order, per class (to shrink a batch that came out too big). */
export function truncatePriorityBatch<T>(perClass: readonly (readonly T[])[], count: number): T[][] {
  let left = count;
  return perClass.map((rows) => {
    const taken = rows.slice(0, Math.max(0, left));
    left -= taken.length;
    return taken;
  });
}

/**
 * Each class's cursor after a batch took `taken` of the `read` rows (read with at most `maxReports` per class):
 * past the last row it took, or, for a class read to its end and taken whole, to `lastId` (the newest row id when
 * read: no row of that class lies before it, so a rare stream never rescans another class's backlog).
 */
export function advanceCursors(
  cursors: readonly number[],
  reads: readonly (readonly { id: number }[])[],
  taken: readonly (readonly { id: number }[])[],
  lastId: number,
  maxReports: number,
): number[] {
  return cursors.map((cursor, i) => {
    const read = reads[i] ?? [];
    const rows = taken[i] ?? [];
    if (rows.length === read.length && read.length < maxReports) return Math.max(cursor, lastId);
    return rows.length > 0 ? rows.at(-1)!.id : cursor;
  });
}
