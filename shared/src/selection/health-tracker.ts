import type { RouteKey } from '../route.js';
import { LatencyWindow, type LatencySummary } from './latency-window.js';
import { DEFAULT_EJECTION, type Ejection } from './service-policy.js';

/** An instance's circuit state: `healthy` (closed), `ejected` (open), `half-open` (one trial call allowed). */
export type HealthState = 'healthy' | 'ejected' | 'half-open';

/** A call the tracker counts as in flight until `success`, `failure` or `release` ends it. */
export interface CallToken {
  readonly key: RouteKey;
  readonly startedAt: number;
  /** True when this call is the half-open trial: its outcome closes or re-opens the circuit. */
  readonly trial: boolean;
}

/** What the API shows of one instance's health. */
export interface InstanceHealth {
  health: HealthState;
  /** Epoch ms until which the instance is ejected, or null. */
  ejectedUntil: number | null;
  inflight: number;
  successes: number;
  failures: number;
  consecutiveFailures: number;
  /** How many times in a row it was ejected (resets on a successful trial). */
  ejections: number;
  latencyMs: LatencySummary;
}

interface Entry {
  inflight: number;
  successes: number;
  failures: number;
  consecutive: number;
  ejections: number;
  ejectedUntil: number | null;
  trialInFlight: boolean;
  latency: LatencyWindow;
}

/**
 * Passive health per instance (pure state machine; every method takes `now` in ms): closed -> after
 * `consecutiveFailures` failures ejected until `now + min(maxMs, baseMs * 2^(ejections-1))` -> half-open: one
 * trial call; its success closes the circuit and resets, its failure ejects again for twice as long.
 * Outcomes of calls started before an ejection count in the totals but do not move the circuit.
 */
export class HealthTracker {
  readonly #entries = new Map<RouteKey, Entry>();
  readonly #latencySamples: number;

  constructor(options: { latencySamples?: number } = {}) {
    this.#latencySamples = options.latencySamples ?? 256;
  }

  #entry(key: RouteKey): Entry {
    let e = this.#entries.get(key);
    if (!e) {
      e = {
        inflight: 0,
        successes: 0,
        failures: 0,
        consecutive: 0,
        ejections: 0,
        ejectedUntil: null,
        trialInFlight: false,
        latency: new LatencyWindow(this.#latencySamples),
      };
      this.#entries.set(key, e);
    }
    return e;
  }

  /** The circuit state at `now`. */
  state(key: RouteKey, now: number): HealthState {
    const e = this.#entries.get(key);
    if (!e || e.ejectedUntil === null) return 'healthy';
    return now < e.ejectedUntil ? 'ejected' : 'half-open';
  }

  /** True when a call may go to the instance now: closed, or half-open with no trial in flight. */
  isAvailable(key: RouteKey, now: number): boolean {
    const state = this.state(key, now);
    if (state === 'healthy') return true;
    return state === 'half-open' && !this.#entries.get(key)?.trialInFlight;
  }

  /** Calls in flight to the instance. */
  inflight(key: RouteKey): number {
    return this.#entries.get(key)?.inflight ?? 0;
  }

  /** Counts a call as started; on a half-open instance it becomes the trial call. */
  start(key: RouteKey, now: number): CallToken {
    const e = this.#entry(key);
    e.inflight += 1;
    const trial = this.state(key, now) === 'half-open' && !e.trialInFlight;
    if (trial) e.trialInFlight = true;
    return { key, startedAt: now, trial };
  }

  /** The call succeeded: counts it, records its latency (default `now - startedAt`), closes a half-open circuit. */
  success(token: CallToken, now: number, latencyMs?: number): void {
    const e = this.#finish(token, now, latencyMs);
    e.successes += 1;
    if (e.ejectedUntil === null) e.consecutive = 0;
    else if (token.trial) {
      e.consecutive = 0;
      e.ejections = 0;
      e.ejectedUntil = null;
    }
  }

  /** The call failed or timed out: counts it; ejects after enough consecutive failures or a failed trial. */
  failure(token: CallToken, now: number, ejection: Ejection = DEFAULT_EJECTION, latencyMs?: number): void {
    const e = this.#finish(token, now, latencyMs);
    e.failures += 1;
    if (e.ejectedUntil === null) {
      e.consecutive += 1;
      if (e.consecutive >= ejection.consecutiveFailures) this.#eject(e, now, ejection);
    } else if (token.trial) {
      e.consecutive += 1;
      this.#eject(e, now, ejection);
    }
  }

  /** The call ended without a verdict (the caller went away): no longer in flight; a trial may be retried. */
  release(token: CallToken): void {
    const e = this.#entry(token.key);
    e.inflight = Math.max(0, e.inflight - 1);
    if (token.trial) e.trialInFlight = false;
  }

  /** The instance's health for the API. */
  snapshot(key: RouteKey, now: number): InstanceHealth {
    const e = this.#entries.get(key);
    const state = this.state(key, now);
    return {
      health: state,
      ejectedUntil: e?.ejectedUntil ?? null,
      inflight: e?.inflight ?? 0,
      successes: e?.successes ?? 0,
      failures: e?.failures ?? 0,
      consecutiveFailures: e?.consecutive ?? 0,
      ejections: e?.ejections ?? 0,
      latencyMs: e ? e.latency.summary() : { p50: null, p99: null },
    };
  }

  /** Closes the instance's circuit (e.g. its agent reconnected); counters and latency are kept. */
  reset(key: RouteKey): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.consecutive = 0;
    e.ejections = 0;
    e.ejectedUntil = null;
    e.trialInFlight = false;
  }

  /** Drops everything known about the instance. */
  forget(key: RouteKey): void {
    this.#entries.delete(key);
  }

  #finish(token: CallToken, now: number, latencyMs: number | undefined): Entry {
    const e = this.#entry(token.key);
    e.inflight = Math.max(0, e.inflight - 1);
    if (token.trial) e.trialInFlight = false;
    e.latency.add(latencyMs ?? now - token.startedAt);
    return e;
  }

  #eject(e: Entry, now: number, ejection: Ejection): void {
    e.ejections += 1;
    const ms = Math.min(ejection.maxMs, ejection.baseMs * 2 ** Math.min(e.ejections - 1, 40));
    e.ejectedUntil = now + ms;
    e.consecutive = 0;
  }
}
