import { CallCancelledError } from '../tunnel/call-errors.js';
import { splice } from '../byte-pipe.js';
import type { FarEnd } from './far-end.js';
import { socketPipe, type PipeSocket } from './socket-pipe.js';
import { Cancellation, type CancelSignal } from '../cancellation.js';

/**
 * Opens the far end of a client's connection with `open`, aborted when the client goes away first; then `join`s the
 * two, or resets the far end if the client left meanwhile. When no far end can be opened, `failed` is told why.
 */
export function openForClient(
  socket: {
    destroyed: boolean;
    once(event: 'close', f: () => void): unknown;
    off(event: 'close', f: () => void): unknown;
  },
  open: (signal: CancelSignal) => Promise<FarEnd>,
  join: (far: FarEnd) => void,
  failed: (error: Error) => void,
): void {
  const abort = new Cancellation();
  const onClose = (): void => abort.abort(new CallCancelledError('the client went away'));
  socket.once('close', onClose);
  open(abort.signal).then(
    (far) => {
      socket.off('close', onClose);
      if (socket.destroyed) return far.pipe.reset(new CallCancelledError('the client went away'));
      join(far);
    },
    (err: unknown) => failed(err instanceof Error ? err : new Error(String(err))),
  );
}

/**
 * Serves one client of a TCP listener (the control plane's, an agent's): opens its far end with `open` (aborted
 * when the client goes away first) and splices the two; when no far end can be opened the client's connection is
 * reset (a TCP RST, not a silent close) and `refused` is told why. The socket should be paused until then
 * (`pauseOnConnect`).
 */
export function serveClient(
  socket: PipeSocket,
  open: (signal: CancelSignal) => Promise<FarEnd>,
  refused: (error: Error) => void,
): void {
  socket.on('error', () => undefined);
  openForClient(
    socket,
    open,
    (far) => {
      if (far.early) socket.write(far.early);
      splice(socketPipe(socket), far.pipe);
    },
    (error) => {
      refused(error);
      if (!socket.destroyed) socketPipe(socket).reset(new Error('refused'));
    },
  );
}
