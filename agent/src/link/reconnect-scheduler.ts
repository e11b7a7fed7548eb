import { backoffDelay, systemClock, type BackoffOptions, type Clock } from '@tether/shared';

/** Backoff after a lost or failed connection: 500 ms doubling to 30 s. */
export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };
/** Backoff after the control plane refused the credentials: 10 s doubling to 5 min, never a tight loop. */
export const AUTH_BACKOFF: BackoffOptions = { baseMs: 10_000, capMs: 300_000 };

/**
 * Backoff after the control plane said it is busy (CONNACK 3, admission during a reconnect storm): 1 s doubling
 * to 10 s, counted apart from lost connections, so agents spread their retries over the storm without drifting
 * to 30 s delays that would leave the hub idle while agents wait.
 */
export const BUSY_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 10_000 };

/** Why a connection attempt ended, which picks the backoff curve. */
export type CloseReason = 'lost' | 'unauthorized' | 'busy';

/** Options of a ReconnectScheduler; everything time-related is injected. */
export interface ReconnectSchedulerOptions {
  /** Called when the delay elapsed: start a new connection attempt. */
  reconnect: () => void;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  authBackoff?: BackoffOptions;
  busyBackoff?: BackoffOptions;
}

/**
 * Replaces MQTT.js's fixed 1 s reconnect: one timer at a time, exponential backoff with jitter, a separate slow
 * curve after refused credentials, attempts reset on every successful connect.
 */
export class ReconnectScheduler {
  readonly #opts: Required<Omit<ReconnectSchedulerOptions, 'reconnect'>> &
    Pick<ReconnectSchedulerOptions, 'reconnect'>;
  #attempt = 0;
  #authAttempt = 0;
  #busyAttempt = 0;
  #timer: unknown;
  #stopped = false;

  constructor(options: ReconnectSchedulerOptions) {
    this.#opts = {
      clock: systemClock,
      random: Math.random,
      backoff: RECONNECT_BACKOFF,
      authBackoff: AUTH_BACKOFF,
      busyBackoff: BUSY_BACKOFF,
      ...options,
    };
  }

  /** True while a reconnect is pending. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** The connection is up: the next failure starts again from the shortest delay. */
  connected(): void {
    this.#attempt = 0;
    this.#authAttempt = 0;
    this.#busyAttempt = 0;
  }

  /** The connection closed; schedules the next attempt and returns its delay (undefined once stopped). */
  closed(reason: CloseReason): number | undefined {
    if (this.#stopped) return undefined;
    this.cancel();
    const delay = this.#delay(reason);
    this.#timer = this.#opts.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) this.#opts.reconnect();
    }, delay);
    return delay;
  }

  #delay(reason: CloseReason): number {
    const { random } = this.#opts;
    switch (reason) {
      case 'unauthorized':
        return backoffDelay(this.#authAttempt++, this.#opts.authBackoff, random);
      case 'busy':
        return backoffDelay(this.#busyAttempt++, this.#opts.busyBackoff, random);
      case 'lost':
        return backoffDelay(this.#attempt++, this.#opts.backoff, random);
      default: {
        const unreachable: never = reason;
        return unreachable;
      }
    }
  }

  /** Cancels a pending attempt, if any. */
  cancel(): void {
    if (this.#timer === undefined) return;
    this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Cancels and refuses every later schedule. */
  stop(): void {
    this.#stopped = true;
    this.cancel();
  }
}
