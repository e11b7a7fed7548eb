import type { Clock } from '../clock.js';
import { TunnelClosedError } from '../errors.js';
import type { NextTurn } from './early-body.js';
import type { Frame } from './frame.js';

/** What the caller and callee halves of one endpoint share: settings and the way out. */
export interface TunnelLink {
  clock: Clock;
  /** Chunks in flight per direction and call. */
  window: number;
  /** How long a body may take to show it is complete before it streams. */
  turn: NextTurn;
  /** Publishes one frame to the peer. */
  send(frame: Frame): Promise<void>;
  /** A frame was dropped: malformed, or breaking the protocol. */
  malformed(reason: string): void;
}

/** Sends a frame and ignores a failure (best-effort frames: CANCEL, CREDIT, ERROR). */
export function sendQuietly(link: TunnelLink, frame: Frame): void {
  link.send(frame).catch(() => undefined);
}

/**
 * Sends without waiting for the transport: both transports take publishes in call order, and the window bounds
 * what is in flight, so waiting for each broker callback would only add latency. A failed send fails the call.
 */
export function sendOrFail(link: TunnelLink, frame: Frame, fail: (err: Error) => void): void {
  link
    .send(frame)
    .catch((err: unknown) =>
      fail(new TunnelClosedError('could not send a frame to the peer', { cause: err })),
    );
}
