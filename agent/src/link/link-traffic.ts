import type { ConnectionStats } from './mqtt-transport-types.js';

/** A connection's socket, as far as counting goes (TCP and TLS sockets have `bytesWritten`). */
interface CountedSocket {
  bytesWritten?: number;
}

/**
 * The link's traffic since the start: MQTT publishes and their payload bytes each way, and every byte written to
 * the sockets of all its connections (the closed ones' and the live one's).
 */
export class LinkTraffic {
  readonly #counts = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  /** Bytes written to the sockets of closed connections. */
  #socketBytesDone = 0;
  #socket: CountedSocket | undefined;

  /** One publish received, of `bytes` payload bytes. */
  received(bytes: number): void {
    this.#counts.messagesIn++;
    this.#counts.bytesIn += bytes;
  }

  /** One publish sent, of `bytes` payload bytes. */
  sent(bytes: number): void {
    this.#counts.messagesOut++;
    this.#counts.bytesOut += bytes;
  }

  /** A connection is up on `socket`. */
  opened(socket: CountedSocket | undefined): void {
    this.#socket = socket;
  }

  /** The live connection closed: its socket's bytes are kept. */
  closed(): void {
    this.#socketBytesDone += this.#socket?.bytesWritten ?? 0;
    this.#socket = undefined;
  }

  /** The counts now. */
  snapshot(): ConnectionStats['traffic'] {
    return { ...this.#counts, socketBytesOut: this.#socketBytesDone + (this.#socket?.bytesWritten ?? 0) };
  }
}
