/**
 * The simulator's pacing (sim-agents.ts): the agent's reconnect backoff, a pool bounding the connects in flight,
 * and a bounded wait.
 */

/** The agent's backoff curves (agent/src/link/reconnect-scheduler.ts), equal jitter: half the ceiling or more. */
const BACKOFF = { lost: { baseMs: 500, capMs: 30_000 }, busy: { baseMs: 1_000, capMs: 10_000 } };

/** The delay before attempt `attempt + 1` after `err`: the busy curve for CONNACK 3 (admission), else lost. */
export function retryDelay(err: unknown, attempts: { lost: number; busy: number }): number {
  const kind = (err as { code?: unknown }).code === 3 ? 'busy' : 'lost';
  const { baseMs, capMs } = BACKOFF[kind];
  const ceiling = Math.min(capMs, baseMs * 2 ** attempts[kind]++);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Runs `fn` over `items` with at most `window` at once (an agent's connect is a few round trips). */
export async function pooled<T, R>(items: T[], window: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  return out;
}

/** Resolves once `pred` holds (checked every 20 ms); rejects after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('worker wait timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
