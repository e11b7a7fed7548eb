import { LinkEstimator, type LinkEstimate } from './link-estimator.js';
import {
  DEFAULT_TUNING,
  planningRate,
  uplinkTargets,
  type UplinkTargets,
  type UplinkTuning,
} from './uplink-plan.js';

/**
 * How much the forwarder may send, per connection (pure; time is passed in, ms): the link estimate, the targets it
 * gives, and a ramp. Until a connection's first ack one batch is in flight, the probe; then the window opens by at
 * most the bytes each ack acknowledges (it at most doubles per round trip, as TCP's slow start), up to the target.
 * A first estimate that a shaper's burst allowance inflated cannot fill the link's queue at once.
 */
export class UplinkWindow {
  readonly #tuning: UplinkTuning;
  readonly #maxRate: number | null;
  readonly #estimator = new LinkEstimator();
  #ramp: number;
  #acked = 0;

  constructor(tuning: UplinkTuning = DEFAULT_TUNING, maxRate: number | null = null) {
    this.#tuning = tuning;
    this.#maxRate = maxRate;
    this.#ramp = tuning.probeBytes;
  }

  /** The link as measured. */
  get estimate(): LinkEstimate {
    return this.#estimator.estimate;
  }

  /** The rate to plan with (measured, capped by the configured maximum), bytes/s; null until measured. */
  get rate(): number | null {
    return planningRate(this.#estimator.estimate, this.#maxRate);
  }

  /** The targets now: the next batch's size and the bytes that may be in flight (the ramp included). */
  get targets(): UplinkTargets {
    if (this.#acked === 0)
      return { batchBytes: this.#tuning.probeBytes, inFlightBytes: this.#tuning.probeBytes };
    const target = uplinkTargets(this.#estimator.estimate, this.#maxRate, this.#tuning);
    const inFlightBytes = Math.min(target.inFlightBytes, this.#ramp);
    return { batchBytes: Math.min(target.batchBytes, inFlightBytes), inFlightBytes };
  }

  /**
   * True when another batch may go with `bytes` in `count` batches in flight: always when none is, else when one
   * more of the target size still fits the window (never over it: the link's own buffer may be no larger).
   */
  hasRoom(bytes: number, count: number): boolean {
    if (count === 0) return true;
    const { batchBytes, inFlightBytes } = this.targets;
    return this.#acked > 0 && bytes + batchBytes <= inFlightBytes;
  }

  /** A batch went out (`appLimited`: nothing else was waiting to fill the link). */
  sent(id: string, bytes: number, now: number, appLimited: boolean): void {
    this.#estimator.sent(id, bytes, now, appLimited);
  }

  /** A batch in flight went out again. */
  resent(id: string): void {
    this.#estimator.resent(id);
  }

  /** A batch of `bytes` was acknowledged at `now`: measured, and the ramp opens by its bytes. */
  acked(id: string, bytes: number, now: number): void {
    this.#estimator.acked(id, now);
    this.#acked++;
    const target = uplinkTargets(this.#estimator.estimate, this.#maxRate, this.#tuning).inFlightBytes;
    this.#ramp = Math.min(this.#ramp + bytes, Math.max(2 * target, this.#tuning.probeBytes));
  }

  /** What was in flight will not be acknowledged (it is sent again): forgotten; the estimates stay. */
  forget(): void {
    this.#estimator.reset();
  }

  /** A new connection: nothing in flight, a probe first, the ramp from the start; the estimates stay. */
  reset(): void {
    this.forget();
    this.#acked = 0;
    this.#ramp = this.#tuning.probeBytes;
  }
}
