import {
  AgentOfflineError,
  bodyForAttempt,
  forwardHttp,
  callErrorStatus,
  CENTRAL,
  isIdempotent,
  onBodyEnd,
  watchBody,
  TETHER_HEADERS,
  TimeoutError,
  type Clock,
  type HeaderList,
  type PreparedBody,
  type Route,
  type TunnelResponse,
  type UpstreamClient,
  type CancelSignal,
  Cancellation,
  abortReason,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import { failedOutcome, tryRoutes } from './route-attempts.js';
import { CLIENT_CLOSED_STATUS, type CallStats } from './call-stats.js';

import type { CallerInfo, CallOutcome, RoutePicker } from './route-picker.js';
import type { TunnelHub } from './tunnel-hub.js';

/** What routing a call needs. */
export interface CallRouterDeps {
  picker: RoutePicker;
  tunnels: TunnelHub;
  upstream: UpstreamClient;
  clock: Clock;
  logger: Logger;
  /** Counts every call once (metrics and the stats event). */
  stats?: CallStats;
}

/** One call to route, from the gateway or from an agent's tunnel. Headers exclude Tether's own. */
export interface CallSpec {
  service: string;
  method: string;
  path: string;
  query: string;
  headers: HeaderList;
  caller: CallerInfo;
  /** The value of `x-tether-caller` (`central` or the agent id). */
  callerHeader: string;
  /** Hops after the proxy that accepted the call (already checked). */
  hops: number;
  timeoutMs: number;
  body: PreparedBody;
  signal: CancelSignal;
}

/** The metric label of calls to a service that has no route. */
export const UNKNOWN_SERVICE = '(unknown)';

/**
 * Routes calls: picks a route with the RoutePicker, calls an edge through its tunnel or a central service over
 * HTTP, retries an idempotent call once elsewhere when it failed before any response byte and its body (if any)
 * was buffered, and reports every attempt's outcome to the picker.
 */
export class CallRouter {
  readonly #deps: CallRouterDeps;

  constructor(deps: CallRouterDeps) {
    this.#deps = deps;
  }

  /** Routes one call; resolves with the response head (the body streams after). Counted once in `stats`. */
  async route(spec: CallSpec): Promise<TunnelResponse> {
    // A name nobody serves is not a metric label: callers could create series at will.
    const label = this.#deps.picker.knows(spec.service) ? spec.service : UNKNOWN_SERVICE;
    const done = this.#deps.stats?.begin(label, spec.caller.kind);
    if (!done) return this.#route(spec);
    try {
      const res = await this.#route(spec);
      return { status: res.status, headers: res.headers, body: onBodyEnd(res.body, () => done(res.status)) };
    } catch (err) {
      done(spec.signal.aborted ? CLIENT_CLOSED_STATUS : callErrorStatus(err));
      throw err;
    }
  }

  async #route(spec: CallSpec): Promise<TunnelResponse> {
    const deadline = this.#deps.clock.now() + spec.timeoutMs;
    return tryRoutes(this.#deps, {
      service: spec.service,
      caller: spec.caller,
      signal: spec.signal,
      attempts: isIdempotent(spec.method) && spec.body.kind !== 'stream' ? 2 : 1,
      what: 'call',
      attempt: (route, last) => this.#attempt(route, spec, deadline, last),
      succeeded: (res, record, started) => ({
        status: res.status,
        headers: res.headers,
        body: this.#tracked(res, record, started, spec.signal),
      }),
    });
  }

  async #attempt(route: Route, spec: CallSpec, deadline: number, last: boolean): Promise<TunnelResponse> {
    const remaining = deadline - this.#deps.clock.now();
    if (remaining <= 0) throw new TimeoutError('deadline passed before the call could start');
    const body = bodyForAttempt(spec.body, last);
    if (route.origin !== CENTRAL) {
      const endpoint = this.#deps.tunnels.endpointFor(route.origin);
      if (!endpoint) throw new AgentOfflineError(`agent ${route.origin} is not connected`);
      return endpoint.call(
        {
          service: spec.service,
          target: route.address,
          method: spec.method,
          path: spec.path,
          query: spec.query,
          headers: spec.headers,
          caller: spec.callerHeader,
          hops: spec.hops,
        },
        body
          ? { timeoutMs: remaining, signal: spec.signal, body }
          : { timeoutMs: remaining, signal: spec.signal },
      );
    }
    return this.#central(route, spec, body, remaining);
  }

  async #central(
    route: Route,
    spec: CallSpec,
    body: AsyncIterable<Uint8Array> | undefined,
    remaining: number,
  ): Promise<TunnelResponse> {
    const { clock } = this.#deps;
    const ac = new Cancellation();
    const onAbort = (): void => ac.abort(spec.signal.reason);
    spec.signal.addEventListener('abort', onAbort, { once: true });
    const timer = clock.setTimeout(
      () => ac.abort(new TimeoutError(`no response within ${spec.timeoutMs} ms`)),
      remaining,
    );
    const cleanup = (): void => {
      clock.clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
    };
    try {
      const res = await forwardHttp(
        {
          baseUrl: route.address,
          method: spec.method,
          path: spec.path,
          query: spec.query,
          headers: [
            ...spec.headers,
            [TETHER_HEADERS.caller, spec.callerHeader],
            [TETHER_HEADERS.hops, String(spec.hops)],
          ],
          body,
          signal: ac.signal,
        },
        this.#deps.upstream,
      );
      return { ...res, body: withCleanup(res.body, cleanup, ac.signal) };
    } catch (err) {
      cleanup();
      throw err;
    }
  }

  /** The body, reporting the attempt's outcome to the picker when it ends. */
  #tracked(
    res: TunnelResponse,
    record: (o: CallOutcome) => void,
    started: number,
    signal: CancelSignal,
  ): AsyncIterable<Uint8Array> {
    const { clock } = this.#deps;
    return watchBody(res.body, (end) => {
      const latencyMs = clock.now() - started;
      // Left unfinished without an error: the reader stopped (the caller went away), no verdict on the instance.
      if (end.kind === 'complete') record({ ok: res.status < 500, latencyMs });
      else if (end.kind === 'failed') record(failedOutcome(end.error, signal, latencyMs));
      else record({ ok: false, kind: 'cancelled', latencyMs });
    });
  }
}

async function* withCleanup(
  body: AsyncIterable<Uint8Array>,
  cleanup: () => void,
  signal: CancelSignal,
): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    throw signal.aborted ? abortReason(signal) : err;
  } finally {
    cleanup();
  }
}
