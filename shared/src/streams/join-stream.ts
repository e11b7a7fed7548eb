import { TunnelClosedError } from '../errors.js';
import type { IncomingStream } from '../tunnel/tunnel-streams.js';
import { splice } from '../byte-pipe.js';
import type { FarEnd } from './far-end.js';

/**
 * Accepts a peer's stream with what its far end answered and splices the two (the far end's early bytes first).
 * When the stream ended while the far end was being connected (the opener gave up, the deadline passed, the link
 * went), the far end is cut instead. `done` is told once both are over.
 */
export function joinIncoming(incoming: IncomingStream, far: FarEnd, done?: (error?: Error) => void): void {
  if (!incoming.accept(far.accept)) {
    far.pipe.reset(new TunnelClosedError('the stream ended before it was connected'));
    return;
  }
  if (far.early) incoming.stream.write(far.early);
  splice(incoming.stream, far.pipe, done);
}
