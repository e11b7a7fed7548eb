import { systemClock, type Clock, type RouteTable } from '@tether/shared';
import type { EventBus } from '../../observability/event-bus.js';
import type { Logger } from '../../observability/logger.js';

/** Options of the stale-route sweeper. */
export interface StaleSweeperOptions {
  table: RouteTable;
  bus: EventBus;
  logger: Logger;
  /** How long a route stays stale before it is deleted, in ms. */
  graceMs: number;
  /** How often to sweep, in ms (default: a fifth of the grace, between 50 ms and 10 s). */
  intervalMs?: number;
  clock?: Clock;
}

/** Deletes routes stale for longer than the grace period, on a timer from the injected Clock. */
export class StaleSweeper {
  readonly #options: StaleSweeperOptions;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #timer: unknown;
  #running = false;

  constructor(options: StaleSweeperOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? Math.max(50, Math.min(10_000, Math.floor(options.graceMs / 5)));
  }

  /** Starts sweeping. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stops sweeping. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Deletes what is due now; returns how many routes went. */
  sweep(): number {
    const events = this.#options.table.deleteStaleBefore(this.#clock.now() - this.#options.graceMs);
    if (events.length > 0) {
      this.#options.bus.emitRouteEvents(events);
      this.#options.logger.info({ deleted: events.length }, 'stale routes deleted');
    }
    return events.length;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (!this.#running) return;
      try {
        this.sweep();
      } catch (err) {
        this.#options.logger.error({ err }, 'stale sweep failed');
      }
      this.#schedule();
    }, this.#intervalMs);
  }
}
