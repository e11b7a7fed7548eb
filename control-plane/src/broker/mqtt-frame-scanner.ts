/** Why a scanned byte stream broke a limit. */
export type FrameViolation = 'packet_too_large' | 'pre_connect_bytes' | 'malformed_length';

/** The limits a scanner enforces. */
export interface FrameScanLimits {
  /** Largest MQTT packet, fixed header excluded (its "remaining length"). */
  maxPacketBytes: number;
  /** Bytes a connection may send before it is authenticated. */
  maxPreConnectBytes: number;
}

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;

/**
 * Follows MQTT packet boundaries in a byte stream without buffering or parsing payloads: reads each fixed header's
 * variable-length "remaining length" and refuses a packet over the limit as soon as its header arrives (before its
 * body is buffered anywhere), and refuses more than `maxPreConnectBytes` until `authenticated()` is called.
 */
export class MqttFrameScanner {
  readonly #limits: FrameScanLimits;
  #state = HEADER;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #remaining = 0;
  #preConnectBytes = 0;
  #authenticated = false;
  readonly #countsStream: boolean;

  /**
   * `preConnect: 'transport'` counts the pre-authentication bytes given to `transportBytes` (a WebSocket's raw
   * socket, framing included) instead of the scanned MQTT bytes.
   */
  constructor(limits: FrameScanLimits, options: { preConnect?: 'stream' | 'transport' } = {}) {
    this.#limits = limits;
    this.#countsStream = (options.preConnect ?? 'stream') === 'stream';
  }

  /** Counts `n` bytes read from the transport under the stream; the pre-authentication limit they break, if any. */
  transportBytes(n: number): FrameViolation | undefined {
    if (this.#authenticated) return undefined;
    this.#preConnectBytes += n;
    return this.#preConnectBytes > this.#limits.maxPreConnectBytes ? 'pre_connect_bytes' : undefined;
  }

  /** The connection is authenticated: the pre-CONNECT byte limit no longer applies. */
  authenticated(): void {
    this.#authenticated = true;
  }

  /** Scans the next chunk; returns the first limit it breaks, or undefined. */
  scan(chunk: Uint8Array): FrameViolation | undefined {
    if (this.#countsStream) {
      const violation = this.transportBytes(chunk.byteLength);
      if (violation) return violation;
    }
    let i = 0;
    while (i < chunk.byteLength) {
      if (this.#state === BODY) {
        const skip = Math.min(this.#remaining, chunk.byteLength - i);
        this.#remaining -= skip;
        i += skip;
        if (this.#remaining === 0) this.#state = HEADER;
      } else if (this.#state === HEADER) {
        i++;
        this.#state = LENGTH;
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
      } else {
        const byte = chunk[i++]!;
        this.#length += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes++;
        if (this.#length > this.#limits.maxPacketBytes) return 'packet_too_large';
        if (byte & 0x80) {
          if (this.#lengthBytes >= 4) return 'malformed_length';
          continue;
        }
        this.#remaining = this.#length;
        this.#state = this.#remaining === 0 ? HEADER : BODY;
      }
    }
    return undefined;
  }
}
