import type { Clock } from '@tether/shared';
import { TokenBucket, type RateSpec } from '@tether/shared';
import { KeyedBuckets } from './keyed-buckets.js';

/** Why a new connection was refused before aedes saw it (the `reason` of `tether_socket_refusals_total`). */
export type AdmissionRefusal = 'rate_limited' | 'admission' | 'handshakes';

/** Connections admitted and still waiting for something costly (TLS handshakes), and how many may. */
export interface OpenCap {
  open: number;
  max: number;
}

/**
 * Admits new connections at two rates: per source address (a flood from one host) and over all sources (a
 * reconnect storm after a replica died must not overwhelm the survivor). A connection refused by the global rate
 * is not charged to its source, so its jittered retry is judged afresh.
 */
export class ConnectionAdmission {
  readonly #perSource: KeyedBuckets;
  readonly #global: TokenBucket;

  constructor(rates: { connectRate: RateSpec; admissionRate: RateSpec }, clock: Pick<Clock, 'now'>) {
    this.#perSource = new KeyedBuckets(rates.connectRate, clock);
    this.#global = new TokenBucket(rates.admissionRate, clock);
  }

  /**
   * Undefined when a connection from `source` may proceed now; otherwise why not. `cap`: a full cap refuses it
   * first, without charging either rate (nothing was spent on it).
   */
  admit(source: string, cap?: OpenCap): AdmissionRefusal | undefined {
    if (cap && cap.open >= cap.max) return 'handshakes';
    const bucket = this.#perSource.bucket(source);
    if (!bucket.tryTake()) return 'rate_limited';
    if (this.#global.tryTake()) return undefined;
    bucket.refund();
    return 'admission';
  }
}
