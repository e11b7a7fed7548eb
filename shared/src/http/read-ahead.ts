import type { IncomingMessage } from 'node:http';
import { prepareBody, RETRY_BUFFER_BYTES, type PreparedBody } from '../tunnel/call-body.js';
import { systemClock, type Clock } from '../clock.js';
import { wholeBody } from '../tunnel/early-body.js';

/** The declared `content-length` of a message when it is a small body (0 to `max` bytes), else undefined. */
function smallBodyLength(msg: IncomingMessage, max: number): number | undefined {
  const header = msg.headers['content-length'];
  if (header === undefined || msg.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(header);
  return Number.isInteger(length) && length >= 0 && length <= max ? length : undefined;
}

/** What `readEarly` saw: the whole body (`ended`), or its first chunks with the rest still in the paused message. */
interface Early {
  ended: boolean;
  chunks: Uint8Array[];
}

/** Calls `fire` once, a short while from now, unless the function it returns is called first. */
export type SettleWindow = (fire: () => void) => () => void;

/**
 * How long a response whose end has not arrived yet may take to show it before its head is handed on: one timer
 * tick, during which this process sleeps. A service that writes its head and body and then its end in a second
 * write (node's `res.write` + `res.end`, `req.pipe(res)`, most chunked replies) is often preempted between the two
 * by the process it woke; waiting one event-loop turn without sleeping never let it finish, so the response went
 * out as two tunnel messages and two writes to the caller. A stream that is really slow (server-sent events) starts
 * at most this much later.
 */
export const RESPONSE_SETTLE_MS = 1;

/** A SettleWindow of RESPONSE_SETTLE_MS on `clock`. */
export function settleWindow(clock: Clock = systemClock): SettleWindow {
  return (fire) => {
    const timer = clock.setTimeout(fire, RESPONSE_SETTLE_MS);
    return () => clock.clearTimeout(timer);
  };
}

/**
 * Reads a message's body with plain listeners (no async iterator) until it ends; when the `window` closes first or
 * more than `max` bytes arrived, stops (pausing the message) and says so. Rejects when the message fails or closes
 * early.
 */
function readEarly(msg: IncomingMessage, max: number, window?: SettleWindow): Promise<Early> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    let close: (() => void) | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      close?.();
      msg.off('data', onData);
      msg.off('end', onEnd);
      msg.off('error', onError);
      msg.off('close', onClose);
      return true;
    };
    const stop = (): void => {
      if (!settle()) return;
      msg.pause();
      resolve({ ended: false, chunks });
    };
    const onData = (chunk: Uint8Array): void => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > max) stop();
    };
    const onEnd = (): void => void (settle() && resolve({ ended: true, chunks }));
    const onError = (err: Error): void => void (settle() && reject(err));
    const onClose = (): void => {
      if (msg.complete) return; // 'end' follows
      if (settle()) reject(new Error('the connection closed before the body ended'));
    };
    msg.on('data', onData);
    msg.on('end', onEnd);
    msg.on('error', onError);
    msg.on('close', onClose);
    if (window && !settled) close = window(stop);
  });
}

/**
 * A response body, read ahead with plain listeners: a small one of known length to its end; any other up to `max`
 * bytes or until its settle `window` closes. Resolves with a WholeBody when it ended (it then travels whole, see
 * `collectEarly`), else with a stream of what came so far followed by the rest.
 */
export async function readResponseBody(
  msg: IncomingMessage,
  max: number,
  window: SettleWindow,
): Promise<AsyncIterable<Uint8Array>> {
  const early = await readEarly(msg, max, smallBodyLength(msg, max) === undefined ? window : undefined);
  return early.ended ? wholeBody(early.chunks) : resumeAfter(early.chunks, msg);
}

/**
 * The chunks already read, then the rest of the (paused) message. A reader that stops early, even before its first
 * pull reached the message, destroys it: its connection must not go back to the pool half-read.
 */
function resumeAfter(head: readonly Uint8Array[], msg: IncomingMessage): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      let at = 0;
      let rest: AsyncIterator<Uint8Array> | undefined;
      return {
        next: (): Promise<IteratorResult<Uint8Array>> => {
          if (at < head.length) return Promise.resolve({ done: false, value: head[at++]! });
          rest ??= msg[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
          return rest.next();
        },
        return: (): Promise<IteratorResult<Uint8Array>> => {
          msg.destroy();
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}

/**
 * The body of an incoming HTTP request, ready to send: none, a small declared body read whole (replayable), or
 * whatever `prepareBody` makes of a longer or chunked one. `max` is the body limit (PayloadTooLargeError past it).
 */
export async function readRequestBody(req: IncomingMessage, max: number): Promise<PreparedBody> {
  const length = smallBodyLength(req, Math.min(max, RETRY_BUFFER_BYTES));
  if (length === undefined) return prepareBody(req, max);
  if (length === 0) return { kind: 'none' };
  return { kind: 'buffered', chunks: (await readEarly(req, length)).chunks }; // no turn: read to its end
}
