import { TLSSocket, type SecureContext } from 'node:tls';
import type { TlsHandshake } from '../broker/socket-guard.js';

/**
 * A server TLS handshake on an accepted (and admitted) raw socket, with the listener's one secure context: the
 * TLS socket starts reading `raw` now (the listener accepted it paused, so no TLS work was done before). `done`
 * is called once: with the TLS socket on its `secure` event, or undefined if it errored or closed first.
 */
export function startTlsHandshake(secureContext: SecureContext): TlsHandshake {
  return (raw, done) => {
    const socket = new TLSSocket(raw, { isServer: true, secureContext });
    let settled = false;
    const finish = (secure: boolean): void => {
      if (settled) return;
      settled = true;
      socket.off('close', onClose);
      done(secure ? socket : undefined);
    };
    const onClose = (): void => finish(false);
    socket.once('secure', () => finish(true));
    socket.once('close', onClose);
    // An error before `secure` (a bad ClientHello, a reset) is followed by `close`; its listener is the guard's.
    return socket;
  };
}
