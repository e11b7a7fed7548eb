import type { Readable } from 'node:stream';
import type { BytePipe, PipeSink } from '../byte-pipe.js';

/**
 * A readable (an HTTP response body answering an upgrade) as a one-way BytePipe: it delivers the body, then an end;
 * what is written to it is dropped. It is over once the body ended and `end()` was called, or cut by `reset`.
 */
export function readablePipe(readable: Readable): BytePipe {
  let bodyEnded = false;
  let endCalled = false;
  let closed = false;
  let sink: PipeSink | undefined;
  const close = (error?: Error): void => {
    if (closed) return;
    closed = true;
    sink?.close(error);
  };
  const maybeDone = (): void => {
    if (bodyEnded && endCalled) close();
  };
  return {
    write: () => true,
    end: () => {
      endCalled = true;
      maybeDone();
    },
    pause: () => void readable.pause(),
    resume: () => void readable.resume(),
    reset: (error) => {
      readable.destroy();
      close(error);
    },
    attach: (s) => {
      sink = s;
      readable.on('data', (chunk: Uint8Array) => sink?.data(chunk));
      readable.on('end', () => {
        bodyEnded = true;
        sink?.end();
        maybeDone();
      });
      readable.on('error', (err: Error) => close(err));
      readable.on('close', () => {
        if (!bodyEnded) close(new Error('the response closed before its end'));
      });
      readable.resume();
    },
  };
}
