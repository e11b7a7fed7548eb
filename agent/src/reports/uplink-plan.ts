import { MAX_BATCH_WIRE_BYTES } from '@tether/shared';
import type { LinkEstimate } from './link-estimator.js';

/**
 * The constants of the uplink policy; the defaults suit links from ~10 kbit/s to loopback. The floors (2 KiB
 * batches, 4 KiB in flight) were measured on a 32 kbit/s tbf link: 1 KiB batches compressed 12 % worse and cost
 * as many TCP/IP headers per byte, so the same backlog took 14 % longer; the price is that below ~47 kbit/s a
 * control message may wait behind up to 4 KiB of report bytes (1 s at 32 kbit/s) instead of 0.7 s.
 */
export interface UplinkTuning {
  /** A batch carries about this much link time (s): small enough that control traffic never waits long. */
  batchSeconds: number;
  /** Report bytes in flight beyond the bandwidth-delay product, in link time (s): what a control message waits. */
  queueSeconds: number;
  /** Batch size bounds on the wire, bytes. */
  minBatchBytes: number;
  maxBatchBytes: number;
  /** Bytes in flight bounds. */
  minInFlightBytes: number;
  maxInFlightBytes: number;
  /** The one batch sent before anything is measured on a new connection, bytes. */
  probeBytes: number;
  /** The rate assumed for ack deadlines before one is measured, bytes/s (about 8 kbit/s). */
  floorRate: number;
  /** Ack deadlines: at least this long, doubling per resend up to the most (ms). */
  minAckTimeoutMs: number;
  maxAckTimeoutMs: number;
}

/** The tuning the agent runs with. */
export const DEFAULT_TUNING: UplinkTuning = {
  batchSeconds: 0.3,
  queueSeconds: 0.7,
  minBatchBytes: 2048,
  maxBatchBytes: MAX_BATCH_WIRE_BYTES,
  minInFlightBytes: 4096,
  maxInFlightBytes: 8 * 256 * 1024,
  probeBytes: 1024,
  floorRate: 1000,
  minAckTimeoutMs: 5_000,
  maxAckTimeoutMs: 300_000,
};

/** How big the next batch should be and how many report bytes may be in flight (on the wire, after compression). */
export interface UplinkTargets {
  batchBytes: number;
  inFlightBytes: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The rate to plan with: the measured one, never above the configured cap; null before any measurement. */
export function planningRate(estimate: LinkEstimate, maxRate: number | null): number | null {
  if (estimate.rate === null) return null;
  return maxRate === null ? estimate.rate : Math.min(estimate.rate, maxRate);
}

/**
 * Sizes batches and the window from the estimate: a batch is `batchSeconds` of link time, the window one
 * bandwidth-delay product plus `queueSeconds` of link time: room for two batches beyond what is on its way, so the
 * link never idles while acks come back, and a control message queued behind report bytes waits at most about
 * `queueSeconds` (batches go only while they fit the window). Unmeasured: one probe batch.
 */
export function uplinkTargets(
  estimate: LinkEstimate,
  maxRate: number | null,
  tuning: UplinkTuning = DEFAULT_TUNING,
): UplinkTargets {
  const rate = planningRate(estimate, maxRate);
  if (rate === null) return { batchBytes: tuning.probeBytes, inFlightBytes: tuning.probeBytes };
  const batchBytes = Math.round(
    clamp(rate * tuning.batchSeconds, tuning.minBatchBytes, tuning.maxBatchBytes),
  );
  const bdpSeconds = (estimate.baseRttMs ?? 0) / 1000;
  const inFlightBytes = Math.round(
    clamp(rate * (bdpSeconds + tuning.queueSeconds), tuning.minInFlightBytes, tuning.maxInFlightBytes),
  );
  return { batchBytes, inFlightBytes };
}

/**
 * How long to wait for a batch's ack: twice the time to send the bytes ahead of it and its own at the planning rate
 * plus the base round trip, plus a second, at least `minAckTimeoutMs`; doubled for each resend (`attempt`).
 */
export function ackTimeoutMs(
  aheadBytes: number,
  bytes: number,
  estimate: LinkEstimate,
  maxRate: number | null,
  attempt: number,
  tuning: UplinkTuning = DEFAULT_TUNING,
): number {
  const rate = planningRate(estimate, maxRate) ?? tuning.floorRate;
  const expected = (estimate.baseRttMs ?? 0) + ((aheadBytes + bytes) / rate) * 1000;
  const base = Math.max(tuning.minAckTimeoutMs, 2 * expected + 1000);
  return Math.round(Math.min(tuning.maxAckTimeoutMs, base * 2 ** Math.min(attempt, 20)));
}

/** Estimated time to send `backlogBytes` (on the wire) at the planning rate, ms; null when no rate is measured. */
export function drainEstimateMs(backlogBytes: number, rate: number | null): number | null {
  if (backlogBytes <= 0) return 0;
  return rate === null ? null : Math.round((backlogBytes / rate) * 1000);
}

/** Brotli quality for the measured rate: dense (5) where the link is the bottleneck, fast (1) where CPU would be. */
export function compressionQuality(rate: number | null): number {
  return rate !== null && rate >= 4 * 1024 * 1024 ? 1 : 5;
}

/** The next estimate of wire bytes per body byte: a moving average of what batches really took. */
export function nextWireRatio(previous: number, wireBytes: number, bodyBytes: number): number {
  if (bodyBytes <= 0) return previous;
  return previous * 0.5 + (wireBytes / bodyBytes) * 0.5;
}
