/** A message one of this process's own clients published (after the publish ACL and rate limits let it through). */
export type LocalReceiver = (clientId: string, topic: string, payload: Buffer) => boolean;

/** The part of aedes's `mq` (an mqemitter, or mqemitter-redis in a cluster) that aedes calls. */
interface Emitter {
  on(topic: string, listener: unknown, done?: () => void): unknown;
  removeListener(topic: string, listener: unknown, done?: () => void): unknown;
  emit(
    packet: { topic: string; payload: unknown; clientId?: string },
    done?: (err?: unknown) => void,
  ): unknown;
  close(done: () => void): unknown;
}

/**
 * aedes's emitter with a way in before it: a message a client connected here published is first offered to the
 * receiver, which takes it (delivered, not emitted: no topic matching, no Redis round trip in a cluster) or leaves
 * it to the emitter. aedes sets `clientId` only on a client's publish, after its `authorizePublish` passed; the
 * broker's own publishes and messages from other replicas never pass here with one.
 */
export class LocalFirstEmitter implements Emitter {
  readonly #inner: Emitter;
  #receiver: LocalReceiver | undefined;

  constructor(inner: Emitter) {
    this.#inner = inner;
  }

  /** Offers every client publish to `receiver` first (one receiver at a time); returns a way to stop. */
  receive(receiver: LocalReceiver): () => void {
    this.#receiver = receiver;
    return () => {
      if (this.#receiver === receiver) this.#receiver = undefined;
    };
  }

  emit(
    packet: { topic: string; payload: unknown; clientId?: string },
    done?: (err?: unknown) => void,
  ): unknown {
    const receiver = this.#receiver;
    const { clientId, payload } = packet;
    if (receiver && clientId !== undefined && Buffer.isBuffer(payload)) {
      let taken = false;
      try {
        taken = receiver(clientId, packet.topic, payload);
      } catch {
        taken = true; // a receiver's exception must never unwind into the broker's publish path
      }
      if (taken) {
        done?.();
        return this;
      }
    }
    return this.#inner.emit(packet, done);
  }

  on(topic: string, listener: unknown, done?: () => void): unknown {
    return this.#inner.on(topic, listener, done);
  }

  removeListener(topic: string, listener: unknown, done?: () => void): unknown {
    return this.#inner.removeListener(topic, listener, done);
  }

  close(done: () => void): unknown {
    return this.#inner.close(done);
  }

  /** Wraps `broker.mq` (aedes calls only on, removeListener, emit and close on it). */
  static install(broker: object): LocalFirstEmitter {
    const holder = broker as { mq: Emitter };
    const wrapped = new LocalFirstEmitter(holder.mq);
    holder.mq = wrapped;
    return wrapped;
  }
}
