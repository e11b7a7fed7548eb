import {
  AgentOfflineError,
  routeKey,
  TimeoutError,
  TooBusyError,
  TunnelClosedError,
  UpstreamError,
  type Clock,
  type Route,
  type ServiceProtocol,
  type CancelSignal,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { CallerInfo, CallOutcome, RoutePicker } from './route-picker.js';

/** Failures worth one retry on another instance (nothing reached the service or it refused at once). */
export function retryableFailure(err: unknown): boolean {
  return (
    err instanceof TunnelClosedError ||
    err instanceof AgentOfflineError ||
    err instanceof TooBusyError ||
    (err instanceof UpstreamError && err.code === 'bad_gateway')
  );
}

/** The outcome of an attempt that threw: cancelled when the caller had gone away, else timeout or failure. */
export function failedOutcome(err: unknown, signal: CancelSignal, latencyMs: number): CallOutcome {
  if (signal.aborted) return { ok: false, kind: 'cancelled', latencyMs };
  return { ok: false, kind: err instanceof TimeoutError ? 'timeout' : 'failure', latencyMs };
}

/** The routes a first attempt excludes: none. */
const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/** What trying routes needs. */
export interface RouteAttemptsDeps {
  picker: RoutePicker;
  clock: Clock;
  logger: Logger;
}

/** One call or stream to place on an instance of `service`. */
export interface RouteAttemptsSpec<T> {
  service: string;
  caller: CallerInfo;
  /** What the instance must speak (default http). */
  protocol?: ServiceProtocol;
  signal: CancelSignal;
  /** 2 to retry once elsewhere after a retryable failure, 1 not to. */
  attempts: number;
  /** Names the attempt in the debug log (`call`, `stream`). */
  what: string;
  /** Tries one route (`last`: no attempt follows this one); throws why it failed. */
  attempt(route: Route, last: boolean): Promise<T>;
  /** Records the success of `result` (at once, or when its body ends) with `record`; returns what to hand on. */
  succeeded(result: T, record: (outcome: CallOutcome) => void, started: number): T;
}

/**
 * Places a call or a stream: the picker chooses a route, each attempt's failure is recorded with it, and a
 * retryable failure (nothing reached the service) is tried once more on another instance when `attempts` allows.
 * Rejects with the first error the picker throws, or the last attempt's.
 */
export async function tryRoutes<T>(deps: RouteAttemptsDeps, spec: RouteAttemptsSpec<T>): Promise<T> {
  const { picker, clock } = deps;
  let exclude: Set<string> | undefined; // made on the first retry only
  let lastError: unknown;
  for (let attempt = 0; attempt < spec.attempts; attempt++) {
    let route: Route;
    try {
      route = picker.pick(spec.service, spec.caller, exclude ?? NO_EXCLUSIONS, spec.protocol);
    } catch (err) {
      throw attempt > 0 ? lastError : err;
    }
    const key = routeKey(route);
    const record = picker.begin(key);
    const started = clock.now();
    try {
      return spec.succeeded(await spec.attempt(route, attempt === spec.attempts - 1), record, started);
    } catch (err) {
      record(failedOutcome(err, spec.signal, clock.now() - started));
      if (!retryableFailure(err) || spec.signal.aborted) throw err;
      deps.logger.debug(
        { service: spec.service, route: key, err: (err as Error).message },
        `${spec.what} attempt failed`,
      );
      lastError = err;
      (exclude ??= new Set()).add(key);
    }
  }
  throw lastError;
}
