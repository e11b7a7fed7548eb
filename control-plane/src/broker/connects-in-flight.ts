import type { Clock } from '@tether/shared';

/** The bound on connects being processed at once (README: "Abuse limits", `connectsInFlight`). */
export interface InFlightLimit {
  /** Agents authenticated and not yet answered that the hub works on at once; more CONNECTs are refused. */
  max: number;
  /** A connect not answered by then stops counting (an agent that never sends its advert). */
  timeoutMs: number;
}

/**
 * Admission by concurrency: an agent counts from its accepted CONNECT until the hub first answered it (its
 * `agent-routes`), it disconnected, or `timeoutMs` passed. At `max`, CONNECTs are refused, so a reconnect storm
 * is worked off at the rate the hub completes connects (whatever it is on this machine) instead of queueing
 * thousands of half-done connects behind one event loop. Pure: time is the injected clock, expiry is lazy.
 */
export class ConnectsInFlight {
  readonly #limit: InFlightLimit;
  readonly #clock: Pick<Clock, 'now'>;
  /** Agent id -> when its connect was admitted and by which connection; insertion order is admission order. */
  readonly #since = new Map<string, { at: number; conn: object | undefined }>();

  constructor(limit: InFlightLimit, clock: Pick<Clock, 'now'>) {
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Connects counted now (expired ones dropped first). */
  get size(): number {
    this.#expire();
    return this.#since.size;
  }

  /**
   * Admits `agentId`'s connect unless `max` are in flight; true when admitted. An agent already in flight
   * (a reconnect replacing its own half-done connect) is admitted again without taking a second place. `conn`:
   * the connection, so that the close of an older connection of the same agent does not end this connect.
   */
  tryEnter(agentId: string, conn?: object): boolean {
    this.#expire();
    const known = this.#since.delete(agentId);
    if (!known && this.#since.size >= this.#limit.max) return false;
    this.#since.set(agentId, { at: this.#clock.now(), conn });
    return true;
  }

  /**
   * `agentId`'s connect is over: answered (no `conn`), or connection `conn` closed (ends it only when `conn` is
   * the connection admitted). A no-op when it was not counted.
   */
  done(agentId: string, conn?: object): void {
    const entry = this.#since.get(agentId);
    if (entry && (conn === undefined || entry.conn === conn)) this.#since.delete(agentId);
  }

  #expire(): void {
    const oldest = this.#clock.now() - this.#limit.timeoutMs;
    for (const [id, { at }] of this.#since) {
      if (at > oldest) return;
      this.#since.delete(id);
    }
  }
}
