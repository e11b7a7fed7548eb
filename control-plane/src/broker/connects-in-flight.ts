import type { Clock } from '@tether/shared';

/** The bound on connects being processed at once (README: "Abuse limits", `connectsInFlight`). */
export interface InFlightLimit {
  /** Agents authenticated and not yet answered that the hub works on at once; more CONNECTs wait. */
  max: number;
  /** A connect not answered by then stops counting (an agent that never sends its advert). */
  timeoutMs: number;
  /** CONNECTs that may wait for a place; beyond, refused at once (CONNACK 3). */
  maxWaiting: number;
  /** A CONNECT that waited this long is refused (CONNACK 3); below MQTT.js's 30 s wait for a CONNACK. */
  waitMs: number;
}

/** An authenticated CONNECT waiting for a place. */
export interface Waiter {
  /** False once its connection closed: it is dropped, not admitted. */
  open(): boolean;
  /** Called once: true when admitted, false when refused (the waiting room was full or the wait ran out). */
  answer(admitted: boolean): void;
}

interface Waiting extends Waiter {
  at: number;
  conn: object | undefined;
}

/**
 * Admission by concurrency: an agent counts from its admitted CONNECT until the hub first answered it (its
 * `agent-routes`), it disconnected, or `timeoutMs` passed. At `max`, a CONNECT waits in a FIFO waiting room and is
 * admitted as soon as a place frees, so a reconnect storm is worked off at the rate the hub completes connects
 * (whatever it is on this machine) without thousands of half-done connects behind one event loop, and without
 * agents backing off blindly while the hub idles. Only a full waiting room or a wait over `waitMs` refuses.
 * Pure: time is the injected clock; expiry happens on each call and on `tick()`, which the owner calls on a timer.
 */
export class ConnectsInFlight {
  readonly #limit: InFlightLimit;
  readonly #clock: Pick<Clock, 'now'>;
  /** Agent id -> when its connect was admitted and by which connection; insertion order is admission order. */
  readonly #since = new Map<string, { at: number; conn: object | undefined }>();
  /** Agent id -> its waiting CONNECT; insertion order is arrival order (a newer CONNECT keeps the older's turn). */
  readonly #waiting = new Map<string, Waiting>();

  constructor(limit: InFlightLimit, clock: Pick<Clock, 'now'>) {
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Connects counted now (expired ones not counted; they are dropped on the next call). */
  get size(): number {
    const oldest = this.#clock.now() - this.#limit.timeoutMs;
    let n = 0;
    for (const { at } of this.#since.values()) if (at > oldest) n++;
    return n;
  }

  /** CONNECTs waiting for a place now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Admits `agentId`'s connect now if fewer than `max` are in flight (`waiter.answer(true)` before it returns),
   * else it waits for a place, or is refused at once when the waiting room is full. An agent already in flight
   * (a reconnect replacing its own half-done connect) is admitted again without taking a second place; one already
   * waiting is refused and its newer CONNECT takes its turn. `conn`: the connection, so that the close of an
   * older connection of the same agent does not end this connect.
   */
  enter(agentId: string, conn: object | undefined, waiter: Waiter): void {
    this.#expire();
    const now = this.#clock.now();
    if (this.#since.delete(agentId) || (this.#since.size < this.#limit.max && this.#waiting.size === 0)) {
      this.#since.set(agentId, { at: now, conn });
      waiter.answer(true);
      return;
    }
    const older = this.#waiting.get(agentId);
    if (!older && this.#waiting.size >= this.#limit.maxWaiting) return waiter.answer(false);
    this.#waiting.set(agentId, {
      at: older?.at ?? now,
      conn,
      open: () => waiter.open(),
      answer: (a) => waiter.answer(a),
    });
    older?.answer(false);
    this.#admit();
  }

  /**
   * `agentId`'s connect is over: answered (no `conn`), or connection `conn` closed (ends it only when `conn` is
   * the connection admitted, or drops it from the waiting room). Frees its place for the first one waiting.
   */
  done(agentId: string, conn?: object): void {
    const entry = this.#since.get(agentId);
    if (entry && (conn === undefined || entry.conn === conn)) this.#since.delete(agentId);
    const waiting = this.#waiting.get(agentId);
    if (waiting && conn !== undefined && waiting.conn === conn) this.#waiting.delete(agentId);
    this.tick();
  }

  /** Expires connects and waits that ran out of time (refusing those waits) and admits who fits. */
  tick(): void {
    this.#expire();
    this.#admit();
  }

  #expire(): void {
    const now = this.#clock.now();
    const oldest = now - this.#limit.timeoutMs;
    for (const [id, { at }] of this.#since) {
      if (at > oldest) break;
      this.#since.delete(id);
    }
    const oldestWait = now - this.#limit.waitMs;
    for (const [id, w] of this.#waiting) {
      if (w.at > oldestWait) break;
      this.#waiting.delete(id);
      if (w.open()) w.answer(false);
    }
  }

  #admit(): void {
    for (const [id, w] of this.#waiting) {
      if (this.#since.size >= this.#limit.max) return;
      this.#waiting.delete(id);
      if (!w.open()) continue;
      this.#since.set(id, { at: this.#clock.now(), conn: w.conn });
      w.answer(true);
    }
  }
}
