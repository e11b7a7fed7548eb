import type { Aedes, Client } from 'aedes';
import { TOPIC_ROOT, type Clock } from '@tether/shared';
import type { Metrics } from '../observability/metrics.js';
import { ConnectsInFlight, type InFlightLimit } from './connects-in-flight.js';

const INBOX = { prefix: `${TOPIC_ROOT}/agents/`, suffix: '/inbox' };

/** How often waits that ran out are refused when no connect ends (every place held by agents that never answer). */
const TICK_MS = 1_000;

/**
 * The broker side of ConnectsInFlight: admits authenticated CONNECTs (now, or once a place frees), ends a connect
 * when the hub first publishes to the agent's inbox (its `agent-routes`, or a resync request) or the connection
 * closes, and keeps `tether_connects_in_flight` and `tether_connects_waiting` current.
 */
export class Admission {
  readonly #gate: ConnectsInFlight;
  readonly #metrics: Metrics;

  constructor(limit: InFlightLimit, clock: Pick<Clock, 'now'>, metrics: Metrics) {
    this.#gate = new ConnectsInFlight(limit, clock);
    this.#metrics = metrics;
  }

  /** Answers `answer(true)` in this call or later (on a turn of its own), or `answer(false)`: busy, retry later. */
  admit(agentId: string, client: Client, answer: (admitted: boolean) => void): void {
    let inCall = true;
    this.#gate.enter(agentId, client, {
      open: () => !client.closed,
      // A place freed inside one of aedes' handlers must not run the next connect inside that handler.
      answer: (admitted) => (inCall ? answer(admitted) : setImmediate(answer, admitted)),
    });
    inCall = false;
    this.#gauge();
  }

  /** Ends an admitted connect that was refused after all (its connection is closed without a disconnect event). */
  release(agentId: string, client: Client): void {
    this.#gate.done(agentId, client);
    this.#gauge();
  }

  /** Follows the broker's inbox publishes and disconnects; ticks until the broker closes. */
  attach(aedes: Aedes): void {
    aedes.on('publish', (packet, client) => {
      const { topic } = packet;
      if (client !== null || !topic.endsWith(INBOX.suffix) || !topic.startsWith(INBOX.prefix)) return;
      this.#gate.done(topic.slice(INBOX.prefix.length, -INBOX.suffix.length));
      this.#gauge();
    });
    aedes.on('clientDisconnect', (client) => {
      if (client.id) this.#gate.done(client.id, client);
      this.#gauge();
    });
    const ticker = setInterval(() => {
      this.#gate.tick();
      this.#gauge();
    }, TICK_MS).unref();
    aedes.once('closed', () => clearInterval(ticker));
  }

  #gauge(): void {
    this.#metrics.connectsInFlight.set(this.#gate.size);
    this.#metrics.connectsWaiting.set(this.#gate.waiting);
  }
}
