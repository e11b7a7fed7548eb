import {
  AgentOfflineError,
  CENTRAL,
  dialService,
  tcpEndpoint,
  TimeoutError,
  TooManyHopsError,
  type Clock,
  type FarEnd,
  type OpenHeader,
  type OpenRequest,
  type Route,
  type ServiceIo,
  type CancelSignal,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import { tryRoutes } from './route-attempts.js';
import type { CallerInfo, RoutePicker } from './route-picker.js';
import type { TunnelHub } from './tunnel-hub.js';

/** One stream to route: what to open (the OPEN's head, its `caller` the value services see), for whom, by when. */
export interface StreamSpec {
  head: OpenRequest;
  caller: CallerInfo;
  /** How long connecting may take (relative ms). */
  timeoutMs: number;
  /** Aborted when whoever asked went away before the stream was connected. */
  signal: CancelSignal;
}

/** What routing streams needs. */
export interface StreamRouterDeps {
  picker: RoutePicker;
  tunnels: TunnelHub;
  io: ServiceIo;
  clock: Clock;
  logger: Logger;
  /** True when `host:port` is one of this control plane's own TCP listeners: dialing it would loop. */
  isOwnListener(host: string, port: number): boolean;
}

/**
 * Routes byte streams (TCP connections through listeners, upgraded HTTP connections through `/call`) as calls are
 * routed: the selection policy picks an instance speaking the stream's protocol; an edge instance is reached by a
 * stream through its agent's tunnel, a central one is dialed from here. Opening is retried once on another instance
 * when it failed before anything was connected. Resolves with the far end, to splice with the near one.
 */
export class StreamRouter {
  readonly #deps: StreamRouterDeps;

  constructor(deps: StreamRouterDeps) {
    this.#deps = deps;
  }

  /** Opens a stream to an instance of the service; rejects with why none could be reached. */
  async open(spec: StreamSpec): Promise<FarEnd> {
    const { clock } = this.#deps;
    const deadline = clock.now() + spec.timeoutMs;
    return tryRoutes(this.#deps, {
      service: spec.head.service,
      caller: spec.caller,
      protocol: spec.head.protocol,
      signal: spec.signal,
      attempts: 2,
      what: 'stream open',
      attempt: (route) => this.#attempt(route, spec, deadline),
      succeeded: (far, record, started) => {
        record({ ok: true, latencyMs: clock.now() - started });
        return far;
      },
    });
  }

  async #attempt(route: Route, spec: StreamSpec, deadline: number): Promise<FarEnd> {
    const timeoutMs = deadline - this.#deps.clock.now();
    if (timeoutMs <= 0) throw new TimeoutError('deadline passed before the stream could open');
    if (route.origin !== CENTRAL) {
      const endpoint = this.#deps.tunnels.endpointFor(route.origin);
      if (!endpoint) throw new AgentOfflineError(`agent ${route.origin} is not connected`);
      const request = { ...spec.head, target: route.address };
      const opened = await endpoint.openStream(request, { timeoutMs, signal: spec.signal });
      return { pipe: opened.stream, accept: opened.accept };
    }
    if (spec.head.protocol === 'tcp') {
      const { host, port } = tcpEndpoint(route.address);
      if (this.#deps.isOwnListener(host, port))
        throw new TooManyHopsError(
          `service "${spec.head.service}" points at one of this control plane's own listeners (${port}): fix its URL`,
        );
    }
    const head: OpenHeader = { ...spec.head, timeoutMs };
    return dialService(head, route.address, this.#deps.io, spec.signal);
  }
}
