import type { Duplex } from 'node:stream';
import type { BytePipe, PipeSink } from '../byte-pipe.js';

/** A connected socket as `socketPipe` uses it (a node:net or node:tls socket, or the socket of an HTTP upgrade). */
export type PipeSocket = Duplex & { resetAndDestroy?: () => unknown };

/**
 * A socket as a BytePipe. Half-close needs `allowHalfOpen` on the socket (servers and dialers of streams set it): a
 * FIN from the peer is an `end`, and this side's writes go on until `end()`. The socket is over cleanly only when
 * both directions ended; a socket destroyed earlier, or failing, closes the pipe with an error. `reset` sends a TCP
 * RST, so the client on the other side of a cut stream sees its connection reset, not a hang or a clean end.
 */
export function socketPipe(socket: PipeSocket): BytePipe {
  let readEnded = false;
  let failure: Error | undefined;
  let sink: PipeSink | undefined;
  return {
    write: (chunk) => !socket.destroyed && socket.write(chunk),
    end: () => {
      if (!socket.destroyed) socket.end();
    },
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    reset: (error) => {
      failure ??= error;
      if (socket.destroyed) return;
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
    },
    attach: (s) => {
      sink = s;
      let closed = false;
      const close = (error?: Error): void => {
        if (closed) return;
        closed = true;
        s.close(error);
      };
      socket.on('data', (chunk: Uint8Array) => sink?.data(chunk));
      socket.on('end', () => {
        readEnded = true;
        sink?.end();
      });
      socket.on('drain', () => sink?.drain());
      socket.on('error', (err: Error) => (failure ??= err));
      socket.on('close', () => {
        const clean = failure === undefined && readEnded && socket.writableFinished;
        close(clean ? undefined : (failure ?? new Error('the connection closed before both ends did')));
      });
      if (socket.destroyed) close(failure ?? new Error('the connection was closed already'));
      // A socket paused until its stream was accepted starts flowing now.
      else socket.resume();
    },
  };
}
