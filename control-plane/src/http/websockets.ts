import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PROTOCOL } from '../auth/request-auth.js';
import type { TokenRecord } from '../auth/token-store.js';
import type { TokenSockets } from '../auth/token-sockets.js';

/**
 * Picks `tether.v1` when the client offers it (browsers also offer `bearer.<token>` to carry a credential, which
 * is never echoed back); other offers get no subprotocol.
 */
export function chooseProtocol(offered: Set<string>): string | false {
  return offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false;
}

/** The largest message a client of a read-only stream (events, live reports) may send. */
const STREAM_MAX_PAYLOAD = 4 * 1024;

/** The WebSocket servers of the HTTP port (no server of their own: the front door hands them upgrades). */
export class WebSocketEndpoints {
  readonly #servers: WebSocketServer[] = [];
  readonly #tokenSockets: TokenSockets;
  readonly #principalOf: (req: IncomingMessage) => TokenRecord | undefined;

  constructor(tokenSockets: TokenSockets, principalOf: (req: IncomingMessage) => TokenRecord | undefined) {
    this.#tokenSockets = tokenSockets;
    this.#principalOf = principalOf;
  }

  /**
   * A new endpoint: `open` gets each accepted WebSocket (and the socket under it). A socket that errs (a frame over
   * `maxPayload`) is cut at once.
   */
  endpoint(
    options: { maxPayload?: number; tetherProtocol?: boolean },
    open: (ws: WebSocket, req: IncomingMessage, query: unknown, socket: Duplex) => void,
  ): {
    clients: () => number;
    accept: (req: IncomingMessage, socket: Duplex, head: Buffer, query: unknown) => void;
  } {
    const wss = new WebSocketServer({
      noServer: true,
      // The streams take no messages from their clients: a frame larger than a few KiB is cut, never buffered.
      maxPayload: options.maxPayload ?? STREAM_MAX_PAYLOAD,
      ...(options.tetherProtocol ? { handleProtocols: chooseProtocol } : {}),
    });
    this.#servers.push(wss);
    return {
      clients: () => wss.clients.size,
      accept: (req, socket, head, query) => {
        (socket as Socket).setNoDelay?.(true);
        const principal = this.#principalOf(req);
        wss.handleUpgrade(req, socket, head, (ws) => {
          // ws answers an error (a frame over maxPayload) with a close frame and then drains the socket for up to
          // 30 s: cut it instead.
          ws.on('error', () => ws.terminate());
          if (principal) ws.once('close', this.#tokenSockets.add(principal, ws));
          open(ws, req, query, socket);
        });
      },
    };
  }

  /** Terminates every client and stops the servers. */
  close(): void {
    for (const wss of this.#servers) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  }
}
