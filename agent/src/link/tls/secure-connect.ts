import { isIP } from 'node:net';
import {
  connect,
  createSecureContext,
  type ConnectionOptions,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
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

const contexts = new WeakMap<TlsPlan, SecureContext>();

/** One client context per plan with a CA: building one (parsing the CA into a store) costs about a handshake. */
function contextOf(plan: TlsPlan): SecureContext | undefined {
  if (!plan.options.ca) return undefined;
  let context = contexts.get(plan);
  if (!context) {
    context = createSecureContext({ ca: plan.options.ca });
    contexts.set(plan, context);
  }
  return context;
}

/** `tls.connect` with the plan's options and check (ws's `createConnection`, node:https requests). */
export function secureConnect(options: ConnectionOptions, plan: TlsPlan): TLSSocket {
  const host = options.host ?? 'localhost';
  const secureContext = contextOf(plan);
  return attachPeerCheck(
    connect({
      ...options,
      ...plan.options,
      ...(secureContext ? { secureContext } : {}),
      // Callers (http, ws) pass the request path along: to tls.connect a `path` is a Unix socket.
      path: undefined,
      servername: options.servername ?? (isIP(host) ? '' : host),
    }),
    plan,
  );
}
