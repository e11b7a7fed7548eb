import type { Aedes, AedesPublishPacket } from 'aedes';
import type { MessageHandler, PublishOptions, Transport } from '@tether/shared';

/**
 * The payload as a Buffer without copying its bytes: a publish hands its bytes over and never touches them again
 * (a tunnel message of 128 KiB was copied once more per publish before).
 */
function asBuffer(payload: Uint8Array | string): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload);
  if (Buffer.isBuffer(payload)) return payload;
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

type Deliver = (packet: AedesPublishPacket, callback: () => void) => void;

/** The part of aedes's (untyped) persistence that lists retained messages. */
interface RetainedSource {
  createRetainedStreamCombi?(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer | string }>;
}

/**
 * The shared Transport over an aedes instance's in-process publish/subscribe: no socket, no ACL (the broker's
 * own publishes bypass authorizePublish), the fastest place for the hub's responder to live.
 */
export class AedesTransport implements Transport {
  readonly #broker: Aedes;
  readonly #subscriptions = new Set<{ filter: string; deliver: Deliver }>();

  constructor(broker: Aedes) {
    this.#broker = broker;
  }

  publish(topic: string, payload: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#broker.publish(
        {
          cmd: 'publish',
          topic,
          payload: asBuffer(payload),
          qos: options.qos ?? 0,
          retain: options.retain ?? false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>> {
    const deliver: Deliver = (packet, callback) => {
      try {
        handler(
          packet.topic,
          typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        );
      } catch {
        // A handler's exception must never unwind into the broker's delivery loop.
      }
      callback();
    };
    const entry = { filter, deliver };
    await new Promise<void>((resolve) => this.#broker.subscribe(filter, deliver, resolve));
    this.#subscriptions.add(entry);
    await this.#deliverRetained(filter, handler);
    return () => this.#unsubscribe(entry);
  }

  /** Like an MQTT SUBSCRIBE, hands the new subscriber the retained messages its filter matches. */
  async #deliverRetained(filter: string, handler: MessageHandler): Promise<void> {
    const persistence = (this.#broker as unknown as { persistence?: RetainedSource }).persistence;
    if (!persistence?.createRetainedStreamCombi) return;
    for await (const packet of persistence.createRetainedStreamCombi([filter])) {
      try {
        handler(
          packet.topic,
          typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        );
      } catch {
        // A throwing handler must not stop the others, as with live deliveries.
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((entry) => this.#unsubscribe(entry)));
  }

  #unsubscribe(entry: { filter: string; deliver: Deliver }): Promise<void> {
    if (!this.#subscriptions.delete(entry)) return Promise.resolve();
    if (this.#broker.closed) return Promise.resolve();
    return new Promise((resolve) => this.#broker.unsubscribe(entry.filter, entry.deliver, () => resolve()));
  }
}
