import type * as NodeNet from 'node:net';
import { CallCancelledError } from '../tunnel/call-errors.js';
import { TimeoutError, UpstreamError } from '../errors.js';
import type { PipeSocket } from './socket-pipe.js';
import type { CancelSignal } from '../cancellation.js';

/** node:net, handed in by the package that owns the sockets (shared imports none). */
export type NetModule = Pick<typeof NodeNet, 'connect'>;

/**
 * Connects to `host:port` with half-close (`allowHalfOpen`) and TCP_NODELAY; resolves once connected. Refused or
 * unreachable is an UpstreamError (502, no address in the message), a slow connect a TimeoutError, an abort a
 * CallCancelledError; the socket is destroyed in each case.
 */
export function dialTcp(
  net: NetModule,
  to: { host: string; port: number },
  options: { timeoutMs: number; signal?: CancelSignal },
): Promise<PipeSocket> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new CallCancelledError(undefined, { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: to.host, port: to.port, allowHalfOpen: true, noDelay: true });
    const fail = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new CallCancelledError(undefined, { cause: signal?.reason }));
    const onError = (err: Error): void =>
      fail(
        new UpstreamError(
          `could not connect to the service's instance (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          { cause: err },
        ),
      );
    const timer = setTimeout(
      () => fail(new TimeoutError(`could not connect within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      cleanup();
      // An error before the socket is spliced must not go unheard (socketPipe records its own).
      socket.on('error', () => undefined);
      // Paused until its stream is spliced (socketPipe resumes it).
      socket.pause();
      resolve(socket);
    });
  });
}
