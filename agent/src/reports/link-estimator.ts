import { WindowedExtreme } from './windowed-extreme.js';

/** What the estimator has measured of the uplink from acknowledgements. */
export interface LinkEstimate {
  /** Delivery rate of report bytes (the most of the last `rateWindowMs`), bytes/s; null before the first ack. */
  rate: number | null;
  /** Round trip of a batch beyond its own transmission time, ms; null before the first ack. */
  baseRttMs: number | null;
}

/** Options of a LinkEstimator. */
export interface LinkEstimatorOptions {
  /** How long a delivery rate sample counts (default 10 s: a link that slows down is noticed within it). */
  rateWindowMs?: number;
  /** How long a round-trip sample counts once newer ones come (default 60 s). */
  rttWindowMs?: number;
}

/** One batch in flight as the estimator remembers it. */
interface Sent {
  bytes: number;
  sentAt: number;
  /** Nothing else was in flight when it was sent: its round trip has no queue of ours in it. */
  alone: boolean;
  /** Sent while there was too little to fill the link: its sample may understate the rate. */
  appLimited: boolean;
  /** Sent again: its ack cannot be matched to one send, so it yields no sample. */
  resent: boolean;
}

/** The round trips of batches sent alone that are kept (the newest). */
const ALONE_SAMPLES = 8;

/**
 * Measures an uplink from the acknowledgements of what was sent over it (pure; time is passed in, ms).
 *
 * Rate: a FIFO bottleneck returns the acks of batches queued back to back spaced by their transmission time, so a
 * batch's bytes over the time since the previous ack (or since the previous send, if longer: acks that bunch up
 * prove nothing, as in BBR) sample the link's rate, even while too little is in flight to fill it. Samples can only
 * understate it (idle gaps), so the estimate is the most of the last `rateWindowMs`; app-limited samples only ever
 * raise it. The first ack of a connection gives bytes over its round trip.
 *
 * Round trip: a batch sent with nothing else in flight queues behind none of ours, so its time to the ack less its
 * own transmission at the measured rate is the link's round trip (propagation, the hub's commit, the ack's way
 * back). Such batches are the first after a connect and any sent when the outbox had run dry; during a long backlog
 * there are none, and the last ones keep counting.
 */
export class LinkEstimator {
  readonly #rate: WindowedExtreme;
  readonly #rttWindowMs: number;
  readonly #sent = new Map<string, Sent>();
  #alone: Array<{ rtt: number; bytes: number; at: number }> = [];
  #lastAck: { sentAt: number; ackAt: number } | undefined;
  #delivered = 0;

  constructor(options: LinkEstimatorOptions = {}) {
    this.#rate = new WindowedExtreme('max', options.rateWindowMs ?? 10_000);
    this.#rttWindowMs = options.rttWindowMs ?? 60_000;
  }

  /** The current estimate. */
  get estimate(): LinkEstimate {
    const rate = this.#rate.value;
    if (this.#alone.length === 0) return { rate, baseRttMs: null };
    const rtts = this.#alone.map((s) => s.rtt - (rate === null ? 0 : (s.bytes / rate) * 1000));
    return { rate, baseRttMs: Math.max(0, Math.round(Math.min(...rtts))) };
  }

  /** Bytes acknowledged in all. */
  get delivered(): number {
    return this.#delivered;
  }

  /** A batch of `bytes` went out at `now`; `appLimited` when nothing else was waiting to fill the link. */
  sent(id: string, bytes: number, now: number, appLimited: boolean): void {
    const alone = this.#sent.size === 0;
    this.#sent.set(id, { bytes, sentAt: now, alone, appLimited, resent: false });
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
    if (sent.resent) return;
    const previous = this.#lastAck;
    this.#lastAck = { sentAt: sent.sentAt, ackAt: now };
    // Alone: bytes over its round trip (a lower bound); else over the time since the previous ack.
    const interval = previous
      ? Math.max(now - previous.ackAt, sent.sentAt - previous.sentAt)
      : now - sent.sentAt;
    if (interval > 0) {
      const sample = (sent.bytes / interval) * 1000;
      const best = this.#rate.value;
      if (!sent.appLimited || best === null || sample >= best) this.#rate.add(sample, now);
    }
    if (sent.alone) {
      const kept = this.#alone.filter((s) => s.at >= now - this.#rttWindowMs).slice(1 - ALONE_SAMPLES);
      this.#alone = [...kept, { rtt: now - sent.sentAt, bytes: sent.bytes, at: now }];
    }
  }

  /** The link dropped: what was in flight is forgotten (it will be sent again); the estimates stay. */
  reset(): void {
    this.#sent.clear();
    this.#lastAck = undefined;
  }
}
