import type { Clock } from '../clock.js';
import { TunnelClosedError } from '../errors.js';
import type { NextTurn } from './early-body.js';
import type { Frame } from './frame-format.js';

/** What the caller and callee halves of one endpoint share: settings and the way out. */
export interface TunnelLink {
  clock: Clock;
  /** Chunks in flight per direction and call. */
  window: number;
  /** How long a body may take to show it is complete before it streams. */
  turn: NextTurn;
  /**
   * Queues one frame for the peer (it leaves with the others of this turn); `failed` is told if the message
   * carrying it could not be handed to the transport. No promise per frame: this is the hot path.
   */
  post(frame: Frame, failed?: (err: unknown) => void): void;
  /** A frame was dropped: malformed, or breaking the protocol. */
  malformed(reason: string): void;
}

/** Sends a frame and ignores a failure (best-effort frames: CANCEL, CREDIT, ERROR). */
export function sendQuietly(link: TunnelLink, frame: Frame): void {
  link.post(frame);
}

/**
 * Sends without waiting for the transport: both transports take publishes in call order, and the window bounds
 * what is in flight, so waiting for each broker callback would only add latency. A failed send fails the call.
 */
export function sendOrFail(link: TunnelLink, frame: Frame, fail: (err: Error) => void): void {
  link.post(frame, (err) =>
    fail(new TunnelClosedError('could not send a frame to the peer', { cause: err })),
  );
}
