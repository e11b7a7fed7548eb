import { WindowedQuantile } from './windowed-quantile.js';

/** What the estimator has measured of the uplink from acknowledgements. */
export interface LinkEstimate {
  /** Delivery rate of report bytes (a high weighted quantile of recent samples), bytes/s; null before any ack. */
  rate: number | null;
  /** The round trip of a batch sent alone (the least of the recent ones), ms; null before the first ack. */
  baseRttMs: number | null;
}

/** Options of a LinkEstimator. */
export interface LinkEstimatorOptions {
  /** How long a delivery rate sample counts (default 10 s: a link that slows down is noticed within it). */
  rateWindowMs?: number;
  /** How long a round-trip sample counts once newer ones come (default 60 s). */
  rttWindowMs?: number;
}

/** One batch in flight as the estimator remembers it (BBR's per-packet delivery-rate state, per batch). */
interface Sent {
  bytes: number;
  sentAt: number;
  /** Bytes acknowledged when it was sent, and when the last of those was acknowledged. */
  delivered: number;
  deliveredAt: number;
  /** When the batch acknowledged last before it was sent had been sent. */
  firstSentAt: number;
  /** Nothing else was in flight when it was sent: its round trip has no queue of ours in it. */
  alone: boolean;
  /** Sent while there was too little to fill the link: its sample may understate the rate. */
  appLimited: boolean;
  /** Sent again: its ack cannot be matched to one send, so it yields no sample. */
  resent: boolean;
}

/** The round trips of batches sent alone that are kept (the newest). */
const ALONE_SAMPLES = 8;
/** Rate samples kept, and the quantile of them that is the estimate. */
const RATE_SAMPLES = 16;
const RATE_QUANTILE = 0.75;

/**
 * Measures an uplink from the acknowledgements of what was sent over it (pure; time is passed in, ms).
 *
 * Rate, as BBR measures it: on each ack, the bytes acknowledged since the batch was sent over the longer of the
 * time since the ack before its send and the time its flight took to send, so acks that bunch up (behind a TCP
 * retransmission) do not inflate it. The estimate is the rate at or below which three quarters of the bytes of the
 * last 16 samples (within `rateWindowMs`) travelled, not their maximum: a first small flight that fits in a
 * shaper's burst allowance measures the line, not the link, and weighs little. App-limited samples count only
 * when at least as high.
 *
 * Round trip: a batch sent with nothing else in flight queues behind none of ours, so its time to the ack is the
 * link's round trip plus its own transmission; the least of the recent ones. Such batches are the first after a
 * connect (a small probe) and any sent when the outbox had run dry; during a long backlog there are none, and the
 * last ones keep counting.
 */
export class LinkEstimator {
  readonly #rate: WindowedQuantile;
  readonly #rttWindowMs: number;
  readonly #sent = new Map<string, Sent>();
  #alone: Array<{ rtt: number; at: number }> = [];
  #delivered = 0;
  #deliveredAt = 0;
  #firstSentAt = 0;

  constructor(options: LinkEstimatorOptions = {}) {
    this.#rate = new WindowedQuantile(RATE_QUANTILE, options.rateWindowMs ?? 10_000, RATE_SAMPLES);
    this.#rttWindowMs = options.rttWindowMs ?? 60_000;
  }

  /** The current estimate. */
  get estimate(): LinkEstimate {
    const rtts = this.#alone.map((s) => s.rtt);
    return { rate: this.#rate.value, baseRttMs: rtts.length === 0 ? null : Math.min(...rtts) };
  }

  /** Bytes acknowledged in all. */
  get delivered(): number {
    return this.#delivered;
  }

  /** A batch of `bytes` went out at `now`; `appLimited` when nothing else was waiting to fill the link. */
  sent(id: string, bytes: number, now: number, appLimited: boolean): void {
    const alone = this.#sent.size === 0;
    if (alone) {
      this.#firstSentAt = now;
      this.#deliveredAt = now;
    }
    this.#sent.set(id, {
      bytes,
      sentAt: now,
      delivered: this.#delivered,
      deliveredAt: this.#deliveredAt,
      firstSentAt: this.#firstSentAt,
      alone,
      appLimited,
      resent: false,
    });
  }

  /** A batch in flight was sent again (its ack then proves nothing about timing). */
  resent(id: string): void {
    const sent = this.#sent.get(id);
    if (sent) sent.resent = true;
  }

  /** A batch was acknowledged at `now`: counts it delivered and takes a rate and a round-trip sample from it. */
  acked(id: string, now: number): void {
    const sent = this.#sent.get(id);
    if (!sent) return;
    this.#sent.delete(id);
    this.#delivered += sent.bytes;
    this.#deliveredAt = now;
    this.#firstSentAt = sent.sentAt;
    if (sent.resent) return;
    const interval = Math.max(sent.sentAt - sent.firstSentAt, now - sent.deliveredAt);
    if (interval > 0) {
      const bytes = this.#delivered - sent.delivered;
      const sample = (bytes / interval) * 1000;
      const estimate = this.#rate.value;
      if (!sent.appLimited || estimate === null || sample >= estimate) this.#rate.add(sample, now, bytes);
    }
    if (sent.alone) {
      const kept = this.#alone.filter((s) => s.at >= now - this.#rttWindowMs).slice(1 - ALONE_SAMPLES);
      this.#alone = [...kept, { rtt: now - sent.sentAt, at: now }];
    }
  }

  /** The link dropped: what was in flight is forgotten (it will be sent again); the estimates stay. */
  reset(): void {
    this.#sent.clear();
  }
}
