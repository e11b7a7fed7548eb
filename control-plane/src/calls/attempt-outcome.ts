import {
  AgentOfflineError,
  TimeoutError,
  TooBusyError,
  TunnelClosedError,
  UpstreamError,
} from '@tether/shared';
import type { CallOutcome } from './route-picker.js';

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
export function failedOutcome(err: unknown, signal: AbortSignal, latencyMs: number): CallOutcome {
  if (signal.aborted) return { ok: false, kind: 'cancelled', latencyMs };
  return { ok: false, kind: err instanceof TimeoutError ? 'timeout' : 'failure', latencyMs };
}
