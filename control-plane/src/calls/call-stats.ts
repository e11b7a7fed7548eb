import { TurnEndWork, type Clock } from '@tether/shared';
import type { Metrics } from '../observability/metrics.js';
import type { CallTotals, ServiceCallTotals } from '../observability/stats-sources.js';

export type { CallTotals, ServiceCallTotals };

/** The status a call that the caller abandoned is counted with (as nginx logs it). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * Counts every call through the network once, from routing to the end of its response body: Prometheus
 * counters and histograms by service and status, calls in flight, and per-interval totals for the `stats` event.
 * An error is a status of 500 or more. Durations and the in-memory totals are taken at once; the Prometheus
 * series are updated at the end of the turn (`later`), after the answer left.
 */
export class CallStats {
  readonly #metrics: Metrics;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #later: TurnEndWork;
  readonly #interval = new Map<string, ServiceCallTotals>();
  readonly #inFlight = new Map<string, number>();
  #total = 0;
  #errors = 0;

  constructor(metrics: Metrics, clock: Pick<Clock, 'now'>, later = new TurnEndWork()) {
    this.#metrics = metrics;
    this.#clock = clock;
    this.#later = later;
  }

  /** A call to `service` starts; the returned function (idempotent) records its final HTTP status. */
  begin(service: string, caller: 'central' | 'edge'): (status: number) => void {
    const started = this.#clock.now();
    this.#inFlight.set(service, (this.#inFlight.get(service) ?? 0) + 1);
    const metrics = this.#metrics;
    this.#later.add(() => metrics.callsInFlight.inc({ service }));
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      const ms = Math.max(0, this.#clock.now() - started);
      const left = (this.#inFlight.get(service) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(service, left);
      else this.#inFlight.delete(service);
      this.#later.add(() => {
        const label = String(status);
        metrics.callsInFlight.dec({ service });
        metrics.calls.inc({ service, caller, status: label });
        metrics.callDuration.observe({ service, status: label }, ms / 1000);
      });
      const error = status >= 500;
      this.#total++;
      if (error) this.#errors++;
      let totals = this.#interval.get(service);
      if (!totals) this.#interval.set(service, (totals = { calls: 0, errors: 0, durationMs: 0 }));
      totals.calls++;
      totals.durationMs += ms;
      if (error) totals.errors++;
    };
  }

  /** The totals since the previous drain (then reset), with the calls in flight now. */
  drain(): CallTotals {
    const byService = new Map(this.#interval);
    this.#interval.clear();
    return { byService, inFlight: new Map(this.#inFlight), total: this.#total, errors: this.#errors };
  }
}
