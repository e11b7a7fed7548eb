import { connect, type Socket } from 'node:net';

/** A raw TCP connection to the broker, with a promise of its close (by the server or by us). */
export interface RawSocket {
  socket: Socket;
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Opens a raw TCP connection to `mqtt://host:port` and resolves once connected (or already closed). */
export function rawSocket(mqttUrl: string): Promise<RawSocket> {
  const url = new URL(mqttUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return new Promise((resolve) => {
    const done = (): void => resolve({ socket, closed, isClosed: () => isClosed });
    socket.once('connect', done);
    socket.once('close', done);
  });
}

/** An MQTT fixed header: the type byte, then the variable-length "remaining length". */
export function fixedHeader(typeByte: number, remainingLength: number): Buffer {
  const bytes = [typeByte];
  let n = remainingLength;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}
