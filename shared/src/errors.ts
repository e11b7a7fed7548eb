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

/** The thing existed but is no longer usable (an expired enrollment grant; HTTP 410). */
export class GoneError extends TetherError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'gone', message, options);
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

/** A peer has too many calls in flight and its queue is full: retry later (HTTP 503 with retry-after). */
export class TooBusyError extends TetherError {
  constructor(message = 'too many calls in flight', options?: { cause?: unknown }) {
    super('too_busy', message, options);
  }
}

/** A cluster-wide decision cannot be taken now: the cluster store (Redis) is unreachable (HTTP 503). */
export class ClusterUnavailableError extends TetherError {
  constructor(message = 'the cluster store is unreachable: try again', options?: { cause?: unknown }) {
    super('cluster_unavailable', message, options);
  }
}

/** A request body is larger than the configured limit (HTTP 413). */
export class PayloadTooLargeError extends TetherError {
  constructor(message = 'request body too large', options?: { cause?: unknown }) {
    super('payload_too_large', message, options);
  }
}

/** A call would pass more proxies than allowed (HTTP 508). */
export class TooManyHopsError extends TetherError {
  constructor(message = 'too many hops', options?: { cause?: unknown }) {
    super('too_many_hops', message, options);
  }
}

/** Routes exist for a service but none can take a call now (HTTP 503). */
export class NoHealthyInstanceError extends TetherError {
  constructor(message = 'no healthy instance', options?: { cause?: unknown }) {
    super('no_healthy_instance', message, options);
  }
}

/** The agent holding a service's only routes is not connected (HTTP 503). */
export class AgentOfflineError extends TetherError {
  constructor(message = 'agent offline', options?: { cause?: unknown }) {
    super('agent_offline', message, options);
  }
}

/** The upstream service failed before answering (refused, reset) or answered with a code we do not know (HTTP 502 by default). */
export class UpstreamError extends TetherError {
  readonly status: number;
  constructor(message: string, options?: { cause?: unknown; code?: string; status?: number }) {
    super(options?.code ?? 'bad_gateway', message, options);
    this.status = options?.status ?? 502;
  }
}

/** A request body of a content type the endpoint does not take (HTTP 415). */
export class UnsupportedMediaTypeError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unsupported_media_type', message, options);
  }
}

/**
 * A listener could not bind its address: `listener` says which one, `reason` the system's code (EADDRINUSE…);
 * `hint` (what to change, from whoever knows the setting's name) ends the message.
 */
export class ListenError extends TetherError {
  readonly listener: string;
  readonly host: string;
  readonly port: number;
  readonly reason: string;
  constructor(listener: string, host: string, port: number, cause: unknown, hint?: string) {
    const reason = (cause as { code?: unknown } | null)?.code;
    const code = typeof reason === 'string' ? reason : 'unknown';
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use'
        : code === 'EACCES'
          ? 'binding this port is not allowed for this user'
          : code === 'EADDRNOTAVAIL'
            ? 'no interface of this machine has this address'
            : (cause as Error).message;
    const message = `cannot listen for ${listener} on ${host}:${port}: ${why} (${code})`;
    super('listen_failed', hint ? `${message}; ${hint}` : message, { cause });
    this.listener = listener;
    this.host = host;
    this.port = port;
    this.reason = code;
  }
}

/** A service was asked for in a protocol it does not speak: HTTP to a `tcp://` service, a TCP stream to an HTTP one (HTTP 400). */
export class WrongProtocolError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('wrong_protocol', message, options);
  }
}
