import type { Logger } from '../observability/logger.js';

/** An open connection made with an API token (a WebSocket, a long `/call`): closed with a code and a reason. */
export interface TokenSocket {
  close(code: number, reason: string): void;
}

/** How a WebSocket whose token was deleted is closed (4401: an application code, like HTTP 401). */
export const TOKEN_REVOKED_CLOSE = { code: 4401, reason: 'token revoked' } as const;

/** What the registry of token sockets needs. */
export interface TokenSocketsDeps {
  /** True while the token with this id exists. */
  exists(tokenId: string): boolean;
  logger: Logger;
}

/**
 * The open WebSockets made with each API token, so that deleting a token also ends the streams it opened (a token
 * is checked once, at the upgrade). `revoke` closes one token's sockets (its deletion here or on another replica);
 * `sweep` closes those of every token gone from the database (deleted by another process).
 */
export class TokenSockets {
  readonly #d: TokenSocketsDeps;
  readonly #byToken = new Map<string, Set<TokenSocket>>();

  constructor(deps: TokenSocketsDeps) {
    this.#d = deps;
  }

  /** Registers a socket opened with `tokenId`; returns its removal (call it on close). A gone token's closes now. */
  add(tokenId: string, socket: TokenSocket): () => void {
    if (!this.#d.exists(tokenId)) {
      socket.close(TOKEN_REVOKED_CLOSE.code, TOKEN_REVOKED_CLOSE.reason);
      return () => undefined;
    }
    let sockets = this.#byToken.get(tokenId);
    if (!sockets) this.#byToken.set(tokenId, (sockets = new Set()));
    sockets.add(socket);
    return () => {
      const current = this.#byToken.get(tokenId);
      if (!current?.delete(socket) || current.size > 0) return;
      this.#byToken.delete(tokenId);
    };
  }

  /** Registers a long gateway call made with `tokenId` (nothing without a token): `end` runs if the token goes. */
  hold(tokenId: string | undefined, end: () => void): () => void {
    return tokenId === undefined ? () => undefined : this.add(tokenId, { close: () => end() });
  }

  /** Closes and forgets every socket opened with `tokenId`; returns how many. */
  revoke(tokenId: string): number {
    const sockets = this.#byToken.get(tokenId);
    if (!sockets) return 0;
    this.#byToken.delete(tokenId);
    for (const socket of sockets) {
      try {
        socket.close(TOKEN_REVOKED_CLOSE.code, TOKEN_REVOKED_CLOSE.reason);
      } catch (err) {
        this.#d.logger.warn({ err, tokenId }, 'closing a connection of a deleted token failed');
      }
    }
    this.#d.logger.info({ tokenId, connections: sockets.size }, 'connections of a deleted token closed');
    return sockets.size;
  }

  /** Closes the sockets of every token that no longer exists; returns how many. */
  sweep(): number {
    let closed = 0;
    for (const tokenId of [...this.#byToken.keys()])
      if (!this.#d.exists(tokenId)) closed += this.revoke(tokenId);
    return closed;
  }

  /** Open sockets now. */
  get size(): number {
    let n = 0;
    for (const sockets of this.#byToken.values()) n += sockets.size;
    return n;
  }
}
