import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { TlsPlan } from './tls-plan.js';

/**
 * Runs the plan's certificate check when the handshake completes. Node writes nothing queued on the socket before
 * its `secureConnect` listeners ran, so a refused server never sees a byte of the request or MQTT CONNECT.
 */
export function attachPeerCheck(socket: TLSSocket, plan: TlsPlan): TLSSocket {
  const check = plan.checkPeer;
  if (!check) return socket;
  socket.once('secureConnect', () => {
    const err = check(socket.getPeerCertificate());
    if (err) socket.destroy(err);
  });
  return socket;
}

/** `tls.connect` with the plan's options and check (ws's `createConnection`, node:https requests). */
export function secureConnect(options: ConnectionOptions, plan: TlsPlan): TLSSocket {
  const host = options.host ?? 'localhost';
  return attachPeerCheck(
    connect({
      ...options,
      ...plan.options,
      // Callers (http, ws) pass the request path along: to tls.connect a `path` is a Unix socket.
      path: undefined,
      servername: options.servername ?? (isIP(host) ? '' : host),
    }),
    plan,
  );
}
