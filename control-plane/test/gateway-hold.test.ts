import { describe, expect, it } from 'vitest';
import { type TunnelResponse } from '@tether/shared';
import type { CallRouter } from '../src/calls/call-router.js';
import { createGateway, LONG_CALL_MS } from '../src/http/gateway.js';
import { serveGateway, silentLogger } from './helpers.js';

// The gateway's bookkeeping for long calls: a timer per call, a hold with the token once it runs long.
describe('gateway: long calls held with their token', () => {
  const timers = new Set<NodeJS.Timeout>();
  const clock = {
    setTimeout: (fn: () => void, ms: number) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
      return t;
    },
    clearTimeout: (t: unknown) => {
      timers.delete(t as NodeJS.Timeout);
      clearTimeout(t as NodeJS.Timeout);
    },
  };
  let mode: 'short' | 'error' | 'long' = 'short';
  const holds: { end: () => void; released: number }[] = [];
  const router = {
    route: async (spec: { signal: AbortSignal }): Promise<TunnelResponse> => {
      if (mode === 'short') return { status: 200, headers: [], body: (async function* () {})() };
      if (mode === 'error') throw new Error('boom');
      return new Promise((_, reject) =>
        spec.signal.addEventListener('abort', () => reject(spec.signal.reason as Error)),
      );
    },
  } as unknown as CallRouter;
  const gateway = createGateway({
    router,
    maxBodyBytes: 1 << 20,
    logger: silentLogger,
    clock,
    callerOf: () => 'central:test',
    holdWithToken: (_req, end) => {
      const hold = { end, released: 0 };
      holds.push(hold);
      return () => void hold.released++;
    },
  });
  const { url } = serveGateway(gateway);
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('a short call and a failed call leave no timer and no hold behind', async () => {
    for (const m of ['short', 'error'] as const) {
      mode = m;
      const res = await fetch(url(), { method: 'POST', body: 'hello' });
      await res.text();
      expect(res.status).toBe(m === 'short' ? 200 : 502);
      await settle();
      expect(timers.size).toBe(0);
    }
    expect(holds).toHaveLength(0);
  });

  it('a call past LONG_CALL_MS is held; ending the hold cuts the client, and the hold is released once', async () => {
    mode = 'long';
    const call = fetch(url()).then(
      (r) => `status ${r.status}`,
      (err: Error) => `failed: ${err.message}`,
    );
    await new Promise((r) => setTimeout(r, LONG_CALL_MS + 200));
    expect(holds).toHaveLength(1);
    expect(timers.size).toBe(0);
    holds[0]!.end();
    expect(await call).toMatch(/^failed/);
    await settle();
    expect(holds[0]!.released).toBe(1);
  });
});
