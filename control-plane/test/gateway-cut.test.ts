import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TimeoutError, type TunnelResponse } from '@tether/shared';
import type { CallRouter } from '../src/calls/call-router.js';
import { createGateway } from '../src/http/gateway.js';
import { serveGateway } from './helpers.js';

// A call whose body fails after the head went out can only be cut; the operator must still learn why.
describe('gateway: a response cut after its head is logged', () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let fail = true;
  const router = {
    route: async (): Promise<TunnelResponse> => ({
      status: 200,
      headers: [['content-type', 'application/octet-stream']],
      body: (async function* () {
        yield Buffer.alloc(1024, 1);
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new TimeoutError('no complete response within 30000 ms');
        yield Buffer.alloc(10, 2);
      })(),
    }),
  } as unknown as CallRouter;
  const gateway = createGateway({
    router,
    maxBodyBytes: 1 << 20,
    logger,
    clock: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
    },
    callerOf: () => 'central:test',
  });
  const { url } = serveGateway(gateway);

  const read = async (): Promise<string> => {
    const res = await fetch(url());
    expect(res.status).toBe(200);
    return res.arrayBuffer().then(
      (b) => `whole ${b.byteLength}`,
      () => 'cut',
    );
  };

  it('the client sees the cut and a warning names the service, the caller and the error', async () => {
    expect(await read()).toBe('cut');
    await new Promise((r) => setTimeout(r, 20));
    const warned = lines.filter((l) => String(l.msg).startsWith('call failed after its response head'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      service: 'svc',
      caller: 'central:test',
      err: 'no complete response within 30000 ms',
    });
  });

  it('a whole response logs nothing', async () => {
    fail = false;
    lines.length = 0;
    expect(await read()).toBe('whole 1034');
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual([]);
  });
});
