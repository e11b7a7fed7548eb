/**
 * A child process of `pnpm bench:tls` (forked by tls-refused-storm.ts): on `{ port, ca, clients }` it makes that
 * many TLS connects at once (from 127.0.0.2-51) and answers `{ secure }`, how many completed their handshake. In
 * a process of its own, so the client handshakes do not delay the bench's `/healthz` probe.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';

/** The storm a child is asked for. */
export interface StormRequest {
  port: number;
  ca: string;
  clients: number;
}

/** How long a connect stays open after its handshake (an admitted one waits for a CONNECT that never comes). */
const HOLD_MS = 1_000;

/** One TLS connect; true when the handshake completed (the server did its part), false when closed before. */
function connectOnce(port: number, localAddress: string, ctx: SecureContext): Promise<boolean> {
  const raw = netConnect({ port, host: '127.0.0.1', localAddress });
  const socket = tlsConnect({ socket: raw, servername: 'localhost', secureContext: ctx });
  raw.on('error', () => undefined);
  socket.on('error', () => undefined);
  socket.setTimeout(30_000, () => socket.destroy());
  // Not events.once: it rejects on 'error', and a refused connect errors (a reset) before it closes.
  // Held up to HOLD_MS once secure, so that a build which refuses after the handshake gets to refuse it.
  return new Promise<boolean>((resolve) => {
    let secure = false;
    socket.once('secureConnect', () => {
      secure = true;
      setTimeout(() => socket.destroy(), HOLD_MS).unref();
    });
    socket.once('close', () => resolve(secure));
  });
}

process.on('message', (req: StormRequest) => {
  const ctx = createSecureContext({ ca: req.ca });
  const all = Array.from({ length: req.clients }, (_, i) =>
    connectOnce(req.port, `127.0.0.${2 + (i % 50)}`, ctx),
  );
  void Promise.all(all).then((results) => process.send?.({ secure: results.filter(Boolean).length }));
});
