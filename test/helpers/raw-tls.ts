import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/** A TLS record's content type for handshake messages (ServerHello, certificates): the first byte of the server's answer. */
export const TLS_HANDSHAKE_RECORD = 0x16;

/** The bytes of a real ClientHello (node:tls, for `servername`), captured from a client writing into a void. */
export function clientHello(servername = 'localhost'): Promise<Buffer> {
  return new Promise((resolve) => {
    const sink = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        resolve(Buffer.from(chunk));
        callback();
        setImmediate(() => sink.destroy());
      },
    });
    tlsConnect({ socket: sink, servername, rejectUnauthorized: false }).on('error', () => undefined);
  });
}

/** What the server sent on a raw TCP connection until it closed it (or `settleMs` passed, then we closed it). */
export interface RawExchange {
  /** Every byte the server sent. */
  received: Buffer;
  /** True when the server closed (or reset) the connection, false when we gave up after `settleMs`. */
  closedByServer: boolean;
}

/**
 * Opens a raw TCP connection from `localAddress` (127.0.0.x: a source address of its own for the per-source
 * rate), sends `hello` (nothing if undefined) and records the server's bytes until the server closes it, or until
 * `settleMs`. With `untilBytes`, stops as soon as the server sent something.
 */
export function rawExchange(
  port: number,
  localAddress: string,
  hello: Buffer | undefined,
  { settleMs, untilBytes = false }: { settleMs: number; untilBytes?: boolean },
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = netConnect({ port, host: '127.0.0.1', localAddress });
    let closedByServer = true;
    const timer = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, settleMs);
    socket.on('error', () => undefined);
    socket.on('connect', () => (hello ? socket.write(hello) : undefined));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (untilBytes) {
        closedByServer = false;
        clearTimeout(timer);
        socket.destroy();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedByServer });
    });
  });
}
