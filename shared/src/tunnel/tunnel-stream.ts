import { ProtocolError, TunnelClosedError } from '../errors.js';
import type { BytePipe, PipeSink } from '../byte-pipe.js';
import { fromErrorHeader, toErrorHeader } from './call-errors.js';
import { MAX_CHUNK_BYTES, type StreamFrame } from './frame-format.js';
import { sendQuietly, type TunnelLink } from './tunnel-link.js';

/** What a stream needs from the set that holds it. */
export interface StreamOwner {
  link: TunnelLink;
  /** Bytes in flight per direction: what a sender may send before the receiver grants more. */
  window: number;
  /** Bytes of the stream sent to the peer / received from it (metrics). */
  sent(n: number): void;
  received(n: number): void;
  /** The stream is over (cleanly, or with `error`): forget it. */
  closed(stream: TunnelStream, error?: Error): void;
}

/**
 * One byte stream through the tunnel (a TCP connection, an upgraded HTTP connection), as a BytePipe. Each direction
 * has a window of bytes: the sender sends at most `window` bytes the receiver has not granted back, the receiver
 * grants bytes back once it delivered them on (in batches of a quarter window), so a slow reader holds the sender to
 * the window and nothing buffers without bound. SHUT closes one direction; the stream is over when both are shut,
 * or at once on RESET. A peer that breaks the window, grants more than it may, or sends after SHUT is reset.
 */
export class TunnelStream implements BytePipe {
  readonly id: number;
  /** True on the side that opened the stream (its frames carry FLAG_FROM_CALLER). */
  readonly opener: boolean;
  readonly #owner: StreamOwner;
  /** Bytes this side may still send. */
  #credit: number;
  readonly #pending: Uint8Array[] = [];
  #blocked = false;
  readonly #inbox: Uint8Array[] = [];
  /** Bytes received and not yet granted back: the peer's credit in use. */
  #outstanding = 0;
  /** Bytes delivered on and not yet granted back. */
  #ungranted = 0;
  #paused = false;
  #endCalled = false;
  #shutSent = false;
  #remoteShut = false;
  #endDelivered = false;
  #closed = false;
  #sink: PipeSink | undefined;
  /** Fails the stream when a message carrying its bytes could not be sent (one callback for all its frames). */
  readonly #sendFailed: (err: unknown) => void;

  constructor(owner: StreamOwner, id: number, opener: boolean) {
    this.#owner = owner;
    this.id = id;
    this.opener = opener;
    this.#credit = owner.window;
    this.#sendFailed = (err) =>
      this.fail(new TunnelClosedError('could not send to the peer', { cause: err }));
  }

  /** True once the stream is over. */
  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#endCalled) return false;
    const n = chunk.byteLength;
    if (this.#pending.length === 0 && n > 0 && n <= this.#credit && n <= MAX_CHUNK_BYTES) {
      // The common case (a socket read within the window): straight out, no queue.
      this.#sendBytes(chunk);
      return true;
    }
    if (n > 0) this.#pending.push(chunk);
    this.#flush();
    this.#blocked = this.#pending.length > 0;
    return !this.#blocked;
  }

  end(): void {
    if (this.#closed || this.#endCalled) return;
    this.#endCalled = true;
    this.#flush();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#deliver();
  }

  reset(error: Error): void {
    if (this.#closed) return;
    const header = toErrorHeader(error);
    sendQuietly(this.#owner.link, { type: 'reset', id: this.id, fromCaller: this.opener, header });
    this.fail(error);
  }

  attach(sink: PipeSink): void {
    this.#sink = sink;
    if (this.#closed) return sink.close(new TunnelClosedError('the stream was closed already'));
    this.#deliver();
  }

  /** Ends the stream here with `error`, telling the peer nothing (the link is gone, or the peer reset it). */
  fail(error: Error): void {
    this.#close(error);
  }

  /** Takes BYTES, SHUT, GRANT or RESET from the peer (OPEN and ACCEPT are the set's). */
  receive(frame: StreamFrame): void {
    if (this.#closed) return;
    switch (frame.type) {
      case 'bytes': {
        const n = frame.body.byteLength;
        if (this.#remoteShut) return this.#violation('stream_bytes_after_shut', 'bytes after SHUT');
        if (this.#outstanding + n > this.#owner.window)
          return this.#violation('stream_window_exceeded', 'the peer exceeded the stream window');
        this.#outstanding += n;
        this.#owner.received(n);
        if (n === 0) return;
        const sink = this.#sink;
        if (sink && !this.#paused && this.#inbox.length === 0) {
          // The common case (a reader keeping up): straight to the sink, no queue.
          this.#ungranted += n;
          sink.data(frame.body);
          if (!this.#closed) this.#grantIfDue();
          return;
        }
        this.#inbox.push(frame.body);
        return this.#deliver();
      }
      case 'shut':
        if (this.#remoteShut) return this.#violation('stream_duplicate_shut', 'a second SHUT');
        this.#remoteShut = true;
        return this.#deliver();
      case 'grant':
        if (this.#credit + frame.header.n > this.#owner.window)
          return this.#violation('stream_grant_exceeded', 'the peer granted more than the window');
        this.#credit += frame.header.n;
        this.#flush();
        if (this.#blocked && this.#pending.length === 0) {
          this.#blocked = false;
          this.#sink?.drain();
        }
        return;
      case 'reset':
        return this.fail(fromErrorHeader(frame.header));
      case 'open':
      case 'accept':
        return this.#violation('stream_wrong_frame', `an unexpected ${frame.type.toUpperCase()}`);
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  /** Sends one BYTES frame (within the credit, at most MAX_CHUNK_BYTES). */
  #sendBytes(body: Uint8Array): void {
    this.#credit -= body.byteLength;
    this.#owner.sent(body.byteLength);
    this.#owner.link.post({ type: 'bytes', id: this.id, fromCaller: this.opener, body }, this.#sendFailed);
  }

  /** Grants back what went on once it is a quarter of the window. */
  #grantIfDue(): void {
    if (this.#ungranted * 4 < this.#owner.window || this.#remoteShut) return;
    const n = this.#ungranted;
    this.#ungranted = 0;
    this.#outstanding -= n;
    sendQuietly(this.#owner.link, { type: 'grant', id: this.id, fromCaller: this.opener, header: { n } });
  }

  /** Sends pending bytes as far as the credit goes, then SHUT once everything went. */
  #flush(): void {
    while (this.#pending.length > 0 && this.#credit > 0 && !this.#closed) {
      const head = this.#pending[0]!;
      const take = Math.min(head.byteLength, this.#credit, MAX_CHUNK_BYTES);
      const body = take === head.byteLength ? head : head.subarray(0, take);
      if (take === head.byteLength) this.#pending.shift();
      else this.#pending[0] = head.subarray(take);
      this.#sendBytes(body);
    }
    if (this.#endCalled && !this.#shutSent && this.#pending.length === 0 && !this.#closed) {
      this.#shutSent = true;
      sendQuietly(this.#owner.link, { type: 'shut', id: this.id, fromCaller: this.opener });
      this.#maybeClose();
    }
  }

  /** Hands queued bytes (then the end) to the sink while it is not paused; grants back what went on. */
  #deliver(): void {
    const sink = this.#sink;
    if (!sink) return;
    while (!this.#paused && !this.#closed && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#ungranted += chunk.byteLength;
      sink.data(chunk);
    }
    if (this.#closed) return;
    this.#grantIfDue();
    if (this.#remoteShut && this.#inbox.length === 0 && !this.#endDelivered) {
      this.#endDelivered = true;
      sink.end();
      this.#maybeClose();
    }
  }

  #maybeClose(): void {
    if (this.#shutSent && this.#endDelivered) this.#close();
  }

  #violation(reason: string, message: string): void {
    this.#owner.link.malformed(reason);
    this.reset(new ProtocolError(`${message}: stream reset`));
  }

  #close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.length = 0;
    this.#inbox.length = 0;
    this.#owner.closed(this, error);
    this.#sink?.close(error);
  }
}
