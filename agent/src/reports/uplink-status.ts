import type { InFlightWindow } from './in-flight-window.js';
import { drainEstimateMs } from './uplink-plan.js';
import type { UplinkWindow } from './uplink-window.js';

/** What the agent shows of its report uplink (`GET /v1/status` `uplink`, metrics, digests). */
export interface UplinkStatus {
  /** The measured delivery rate of report bytes on the wire (after compression), bytes/s; null until measured. */
  rateBytesPerSecond: number | null;
  /** The measured round trip of a batch beyond its transmission time, ms; null until measured. */
  rttMs: number | null;
  /** `--uplink-max-rate`, bytes/s; null when uncapped. */
  maxRateBytesPerSecond: number | null;
  /** Report bytes and batches sent and not yet acknowledged. */
  inFlightBytes: number;
  inFlightBatches: number;
  /** Report bytes published since the start (first sends), and sent again (overdue acks, reconnects, gaps). */
  bytesSent: number;
  bytesResent: number;
  /** The outbox's reports as the bytes they would take on the wire (estimated from recent batches). */
  backlogBytes: number;
  /** Estimated time to send the backlog at the measured rate, ms; null until a rate is measured. */
  drainEstimateMs: number | null;
  /** The codec batches use on this connection (`br` once the hub offered protocol 2), or null. */
  compression: 'br' | null;
}

/** What the status is made of: the link's measurements, the window in flight, counters and the backlog. */
export interface UplinkParts {
  link: Pick<UplinkWindow, 'rate' | 'estimate'>;
  maxRate: number | null;
  window: Pick<InFlightWindow, 'bytes' | 'count'>;
  sent: { bytes: number; resent: number };
  /** The outbox as bytes on the wire (body bytes times the recent wire ratio). */
  backlogBytes: number;
  compression: 'br' | null;
}

/** The uplink status of its parts; the drain estimate is the backlog at the planning rate. */
export function uplinkStatus(parts: UplinkParts): UplinkStatus {
  const rate = parts.link.rate;
  return {
    rateBytesPerSecond: rate === null ? null : Math.round(rate),
    rttMs: parts.link.estimate.baseRttMs,
    maxRateBytesPerSecond: parts.maxRate,
    inFlightBytes: parts.window.bytes,
    inFlightBatches: parts.window.count,
    bytesSent: parts.sent.bytes,
    bytesResent: parts.sent.resent,
    backlogBytes: parts.backlogBytes,
    drainEstimateMs: drainEstimateMs(parts.backlogBytes, rate),
    compression: parts.compression,
  };
}
