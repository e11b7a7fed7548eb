import { WrongProtocolError } from '../errors.js';
import { forwardUpgrade } from './forward-upgrade.js';
import type { HttpModules } from './upstream-client.js';
import { serviceProtocol, tcpEndpoint } from '../service-url.js';
import { upstreamHeaders } from '../tunnel/http-headers.js';
import type { OpenHeader } from '../tunnel/stream-headers.js';
import type { FarEnd } from '../streams/far-end.js';
import { dialTcp, type NetModule } from '../streams/dial-tcp.js';
import { readablePipe } from '../streams/readable-pipe.js';
import { socketPipe } from '../streams/socket-pipe.js';
import type { CancelSignal } from '../cancellation.js';

/** The sockets a process dials services with, handed in by the package that owns them. */
export interface ServiceIo {
  net: NetModule;
  http: HttpModules;
}

/**
 * Connects a stream to a service instance at `address`: TCP to a `tcp://` one, an HTTP Upgrade (with
 * `x-tether-caller` and `x-tether-hops` set from the OPEN, never from the client) to an `http(s)://` one. A
 * protocol the instance does not speak is a WrongProtocolError.
 */
export async function dialService(
  head: OpenHeader,
  address: string,
  io: ServiceIo,
  signal: CancelSignal,
): Promise<FarEnd> {
  const protocol = serviceProtocol(address);
  if (protocol !== head.protocol)
    throw new WrongProtocolError(
      protocol === 'tcp'
        ? `service "${head.service}" speaks TCP: reach it through a listener, not /call`
        : `service "${head.service}" speaks HTTP: call it through /call, not a TCP listener`,
    );
  if (head.protocol === 'tcp') {
    const socket = await dialTcp(io.net, tcpEndpoint(address), { timeoutMs: head.timeoutMs, signal });
    return { pipe: socketPipe(socket), accept: {} };
  }
  const answer = await forwardUpgrade(
    {
      baseUrl: address,
      method: head.method,
      path: head.path,
      query: head.query,
      headers: upstreamHeaders(head),
      upgrade: head.upgrade,
      signal,
    },
    io.http,
  );
  if (answer.kind === 'response') return { pipe: readablePipe(answer.body), accept: answer.accept };
  return {
    pipe: socketPipe(answer.socket),
    accept: answer.accept,
    ...(answer.head.byteLength > 0 ? { early: answer.head } : {}),
  };
}
