/** Parameters of an exponential backoff. */
export interface BackoffOptions {
  /** Delay ceiling before jitter for attempt 0, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  capMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/**
 * The delay before retry number `attempt` (0-based): exponential growth capped at `capMs`, with "equal jitter"
 * (half fixed, half random) so that clients spread out yet never retry in a tight loop. `random` is injected.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const factor = options.factor ?? 2;
  const ceiling = Math.min(options.capMs, options.baseMs * factor ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
