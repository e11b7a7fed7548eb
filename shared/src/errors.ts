/** Base class of every Tether error: a stable machine-readable `code` plus an optional `cause`. */
export class TetherError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that fails validation (a bad field, a malformed message). */
export class ValidationError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_request', message, options);
  }
}

/** A named thing (agent, service) does not exist. */
export class NotFoundError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

/** No route is known for a service. */
export class RouteNotFoundError extends TetherError {
  constructor(service: string, options?: { cause?: unknown }) {
    super('route_not_found', `no route for service "${service}"`, options);
  }
}

/** The thing to create exists already. */
export class ConflictError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** A credential is missing or wrong. */
export class UnauthorizedError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unauthorized', message, options);
  }
}

/** A known identity asks for something it may not do. */
export class ForbiddenError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('forbidden', message, options);
  }
}

/** A message arrived that breaks the sync protocol (wrong epoch, a gap in sequence numbers). */
export class ProtocolError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_error', message, options);
  }
}

/** The tunnel to a peer closed while a call was pending. */
export class TunnelClosedError extends TetherError {
  constructor(message = 'tunnel closed', options?: { cause?: unknown }) {
    super('tunnel_closed', message, options);
  }
}

/** An operation ran past its deadline. */
export class TimeoutError extends TetherError {
  constructor(message = 'timed out', options?: { cause?: unknown }) {
    super('timeout', message, options);
  }
}
