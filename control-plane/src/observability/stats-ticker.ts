import type { Clock } from '@tether/shared';
import type { EventBus } from './event-bus.js';
import type { StatsEvent } from '../api/api-schemas.js';
import type { Logger } from './logger.js';
import type { CallTotals, ReportTotals } from './stats-sources.js';
import type { TunnelFigures } from './scrape-gauges.js';
import type { FleetCounts } from '../store/fleet-counts.js';

/** What the ticker reads. */
export interface StatsTickerDeps {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  counts(): FleetCounts;
  /** Call totals since the previous drain. */
  calls(): CallTotals;
  /** Report totals since the previous drain. */
  reports(): ReportTotals;
  tunnels(): TunnelFigures;
  /** True while someone watches the event stream; the ticker skips the queries otherwise. */
  hasViewers(): boolean;
  /** Default 2 s. */
  intervalMs?: number;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Pushes a `stats` event on the bus every interval while the event stream has viewers: the figures that have no
 * event of their own (calls and errors per second, report rate and lag, counts), so the dashboard never polls.
 */
export class StatsTicker {
  readonly #d: StatsTickerDeps;
  readonly #intervalMs: number;
  #timer: unknown;
  #running = false;
  #last: number;

  constructor(deps: StatsTickerDeps) {
    this.#d = deps;
    this.#intervalMs = deps.intervalMs ?? 2000;
    this.#last = deps.clock.now();
  }

  /** Starts ticking. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#last = this.#d.clock.now();
    this.#schedule();
  }

  /** Stops ticking. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Builds the stats of the interval that ends now (draining the per-interval totals). */
  snapshot(): StatsEvent {
    const now = this.#d.clock.now();
    const seconds = Math.max(0.001, (now - this.#last) / 1000);
    this.#last = now;
    const counts = this.#d.counts();
    const calls = this.#d.calls();
    const reports = this.#d.reports();
    let finished = 0;
    let failed = 0;
    let inFlight = 0;
    for (const t of calls.byService.values()) {
      finished += t.calls;
      failed += t.errors;
    }
    for (const n of calls.inFlight.values()) inFlight += n;
    const names = new Set([...calls.byService.keys(), ...calls.inFlight.keys()]);
    const perService = [...names].sort().map((service) => {
      const t = calls.byService.get(service);
      return {
        service,
        perSecond: round((t?.calls ?? 0) / seconds),
        errorsPerSecond: round((t?.errors ?? 0) / seconds),
        inFlight: calls.inFlight.get(service) ?? 0,
        meanMs: t && t.calls > 0 ? round(t.durationMs / t.calls) : null,
      };
    });
    return {
      type: 'stats',
      at: now,
      intervalMs: Math.round(seconds * 1000),
      agents: counts.agents,
      routes: counts.routes,
      services: counts.services,
      calls: {
        perSecond: round(finished / seconds),
        errorsPerSecond: round(failed / seconds),
        inFlight,
        total: calls.total,
        errors: calls.errors,
      },
      perService,
      reports: { perSecond: round(reports.count / seconds), maxLagMs: reports.maxLagMs },
      streams: reports.streams,
      tunnels: this.#d.tunnels(),
    };
  }

  /** Nobody watching: drops the interval's totals (so a new viewer's first rates are fresh), no queries. */
  #skip(): void {
    this.#d.calls();
    this.#d.reports();
    this.#last = this.#d.clock.now();
  }

  #schedule(): void {
    this.#timer = this.#d.clock.setTimeout(() => {
      if (!this.#running) return;
      try {
        if (this.#d.hasViewers()) this.#d.bus.emit(this.snapshot());
        else this.#skip();
      } catch (err) {
        this.#d.logger.error({ err }, 'stats tick failed');
      }
      this.#schedule();
    }, this.#intervalMs);
  }
}
