import { constants } from 'node:crypto';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { TlsHandshake } from '../broker/socket-guard.js';

/**
 * A server TLS handshake on an accepted (and admitted) raw socket, with the listener's one secure context: the
 * TLS socket starts reading `raw` now (the listener accepted it paused, so no TLS work was done before). `done`
 * is called once: with the TLS socket on its `secure` event, or undefined if it errored or closed first. The
 * context should refuse renegotiation (mqttsContext): a handshake done is not done again at the client's asking.
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
    socket.once('secure', () => {
      // What tls.Server does once a handshake is done: from now on a TLS error (a bad record, an alert) is emitted
      // as 'error' (aedes closes the client on it) instead of being kept for a 'tlsClientError' nobody listens to.
      (socket as unknown as { _releaseControl(): boolean })._releaseControl();
      finish(true);
    });
    socket.once('close', onClose);
    // An error before `secure` (a bad ClientHello, a reset) is followed by `close`; its listener is the guard's.
    return socket;
  };
}

/** The mqtts listener's secure context: its certificate and key; no renegotiation (MQTT clients never ask for one). */
export function mqttsContext(tls: { cert: string | Buffer; key: string | Buffer }): SecureContext {
  const secureOptions = constants.SSL_OP_NO_RENEGOTIATION;
  return createSecureContext({ cert: tls.cert, key: tls.key, secureOptions });
}
