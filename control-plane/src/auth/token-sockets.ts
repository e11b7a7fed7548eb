import type { Logger } from '../observability/logger.js';

/** An open connection made with an API token (a WebSocket, a long `/call`): closed with a code and a reason. */
export interface TokenSocket {
  close(code: number, reason: string): void;
}

/** How a WebSocket whose token was deleted is closed (4401: an application code, like HTTP 401). */
export const TOKEN_REVOKED_CLOSE = { code: 4401, reason: 'token revoked' } as const;

/** How a WebSocket whose token's role changed is closed: the client reconnects and is authorised again. */
export const TOKEN_CHANGED_CLOSE = { code: 4401, reason: 'token role changed: reconnect' } as const;

/** The token a socket was opened with, as it was authorised then. */
export interface SocketToken {
  id: string;
  role: string;
}

/** What the registry of token sockets needs. */
export interface TokenSocketsDeps {
  /** The role of the token with this id now, or undefined once it is gone. */
  roleOf(tokenId: string): string | undefined;
  logger: Logger;
}

/**
 * The open WebSockets made with each API token, so that deleting a token, or changing its role, also ends the
 * streams it opened (a token is checked once, at the upgrade). `revoke` closes one token's sockets (its deletion
 * here or on another replica); `sweep` closes those of every token gone from the database or no longer holding
 * the role it was opened with (changed by another process or replica).
 */
export class TokenSockets {
  readonly #d: TokenSocketsDeps;
  /** Token id -> its open sockets, each with the role it was authorised with. */
  readonly #byToken = new Map<string, Map<TokenSocket, string>>();

  constructor(deps: TokenSocketsDeps) {
    this.#d = deps;
  }

  /**
   * Registers a socket opened with `token`; returns its removal (call it on close). One whose token is gone, or
   * holds another role now, is closed at once.
   */
  add(token: SocketToken, socket: TokenSocket): () => void {
    const tokenId = token.id;
    const now = this.#d.roleOf(tokenId);
    if (now !== token.role) {
      const close = now === undefined ? TOKEN_REVOKED_CLOSE : TOKEN_CHANGED_CLOSE;
      socket.close(close.code, close.reason);
      return () => undefined;
    }
    let sockets = this.#byToken.get(tokenId);
    if (!sockets) this.#byToken.set(tokenId, (sockets = new Map<TokenSocket, string>()));
    sockets.set(socket, token.role);
    return () => {
      const current = this.#byToken.get(tokenId);
      if (!current?.delete(socket) || current.size > 0) return;
      this.#byToken.delete(tokenId);
    };
  }

  /**
   * Registers a long gateway call made with `token` (nothing without a token): `end` runs if the token goes or
   * its role changes.
   */
  hold(token: SocketToken | undefined, end: () => void): () => void {
    return token === undefined ? () => undefined : this.add(token, { close: () => end() });
  }

  /** Closes and forgets every socket opened with `tokenId`; returns how many. */
  revoke(tokenId: string): number {
    const sockets = this.#byToken.get(tokenId);
    if (!sockets) return 0;
    this.#byToken.delete(tokenId);
    this.#close(tokenId, [...sockets.keys()], TOKEN_REVOKED_CLOSE);
    this.#d.logger.info({ tokenId, connections: sockets.size }, 'connections of a deleted token closed');
    return sockets.size;
  }

  /** Closes the sockets of every token that no longer exists or holds another role now; returns how many. */
  sweep(): number {
    let closed = 0;
    for (const [tokenId, sockets] of [...this.#byToken]) {
      const now = this.#d.roleOf(tokenId);
      if (now === undefined) {
        closed += this.revoke(tokenId);
        continue;
      }
      const changed = [...sockets].filter(([, role]) => role !== now).map(([socket]) => socket);
      if (changed.length === 0) continue;
      for (const socket of changed) sockets.delete(socket);
      if (sockets.size === 0) this.#byToken.delete(tokenId);
      this.#close(tokenId, changed, TOKEN_CHANGED_CLOSE);
      this.#d.logger.info(
        { tokenId, connections: changed.length, role: now },
        'connections of a changed token closed',
      );
      closed += changed.length;
    }
    return closed;
  }

  #close(tokenId: string, sockets: TokenSocket[], how: { code: number; reason: string }): void {
    for (const socket of sockets) {
      try {
        socket.close(how.code, how.reason);
      } catch (err) {
        this.#d.logger.warn({ err, tokenId }, 'closing a connection of a token failed');
      }
    }
  }

  /** Open sockets now. */
  get size(): number {
    let n = 0;
    for (const sockets of this.#byToken.values()) n += sockets.size;
    return n;
  }
}
