import type { Aedes, Client } from 'aedes';
import type { LocalFirstEmitter, LocalReceiver } from './local-first-emitter.js';
import { DrainWaits, writePublish } from '@tether/shared';

const EMPTY = Buffer.alloc(0);

/** The parts of an aedes client this writer reads (`subscriptions` is not in aedes's types). */
interface AedesClient {
  connected: boolean;
  closed: boolean;
  conn: Client['conn'] & { destroyed?: boolean; writable?: boolean };
  subscriptions: Record<string, unknown>;
  /**
   * aedes 1.2's wait for a full socket to drain: one timer per client (`drainTimeout`, 60 s by default) after which
   * it drops the connection, so a reader that stopped cannot hold the hub's writes for ever.
   */
  waitForDrain?(callback: () => void): void;
}

/**
 * Writes hub -> agent messages straight onto an agent's MQTT connection when that connection is on this process,
 * instead of through aedes's publish path (emitter matching, a packet copy and a `setImmediate` per delivery), and
 * hands on what agents connected here publish before the emitter (`receive`).
 */
export class AgentSocketWriter {
  readonly #broker: Aedes;
  readonly #local: LocalFirstEmitter | undefined;
  /** One wait per connection whose socket buffer is full, shared by every write queued behind it. */
  readonly #drains = new DrainWaits<AedesClient['conn']>();

  constructor(broker: Aedes, local?: LocalFirstEmitter) {
    this.#broker = broker;
    this.#local = local;
  }

  /**
   * Offers each message an agent connected here publishes (past the publish ACL and rate limits) to `receiver`
   * first, as `(agentId, topic, payload)`: true takes it, false leaves it to the broker. Returns a way to stop.
   */
  receive(receiver: LocalReceiver): () => void {
    return this.#local?.receive(receiver) ?? (() => undefined);
  }

  /**
   * Writes `payload` as a QoS 0 PUBLISH on `topic` to agent `agentId` if its connection is on this process and it
   * holds a subscription whose filter is `topic` or `topic`'s parent + `/+` (held only because the subscribe ACL
   * allowed it): resolves once the socket took the bytes. Undefined when it is not so (not connected here, closing,
   * not subscribed): the caller publishes through the broker, which reaches it wherever it is.
   */
  write(agentId: string, topic: string, payload: Uint8Array): Promise<void> | undefined {
    return this.writeParts(agentId, topic, [payload], payload.byteLength);
  }

  /**
   * `write` of a payload in `parts` (`size` bytes in all), as `writePublish` puts it: a short one joined with its
   * head into one write, a longer one part by part, corked (one writev), never joined.
   */
  writeParts(
    agentId: string,
    topic: string,
    parts: readonly Uint8Array[],
    size: number,
  ): Promise<void> | undefined {
    const client = (this.#broker as unknown as { clients: Record<string, AedesClient | undefined> }).clients[
      agentId
    ];
    if (!client || !client.connected || client.closed) return undefined;
    const { conn } = client;
    if (conn.destroyed === true || conn.writable === false) return undefined;
    if (!subscribedTo(client.subscriptions, topic)) return undefined;
    const { flowing, joined } = writePublish(conn, topic, parts, size);
    // Counted and observed as the broker's own publishes are (traffic metrics listen for 'publish'); a payload
    // written in parts is not joined for it: `payloadLength` says its size.
    this.#broker.emit(
      'publish',
      {
        cmd: 'publish',
        topic,
        payload: joined ?? EMPTY,
        payloadLength: size,
        qos: 0,
        retain: false,
        dup: false,
      },
      null,
    );
    return flowing ? Promise.resolve() : this.#drained(client);
  }

  /**
   * Resolves when the connection drains, closes or is dropped for not draining in time (as aedes's own delivery
   * does: a dead socket is no error). One wait per connection, however many writes queue behind it.
   */
  #drained(client: AedesClient): Promise<void> {
    return this.#drains.wait(client.conn, client.waitForDrain?.bind(client));
  }
}

/** True when `subscriptions` holds `topic` itself or its last level as `+` (the filters MQTT would match it by). */
function subscribedTo(subscriptions: Record<string, unknown>, topic: string): boolean {
  if (subscriptions[topic] !== undefined) return true;
  const slash = topic.lastIndexOf('/');
  return slash > 0 && subscriptions[`${topic.slice(0, slash)}/+`] !== undefined;
}
