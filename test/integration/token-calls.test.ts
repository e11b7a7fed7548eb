import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { createTokens, startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

// A long /call (a stream, a long poll) is cut when the token that authorised it is deleted, like its WebSockets.
describe('long gateway calls of a deleted API token', () => {
  let cp: ControlPlane;
  let echo: EchoService;
  let callers: Record<'deleted' | 'kept', { id: string; token: string }>;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane();
    await startEdge({
      id: 'edge-a',
      secret: await cp.addAgent('edge-a'),
      url: cp.mqttUrl,
      services: { svc: echo.url },
    });
    await waitFor(async () => {
      const res = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=svc');
      return res.body.routes.some((r) => r.state === 'active');
    }, 'an active route for svc');
    callers = await createTokens(cp, 'caller', ['deleted', 'kept']);
  });
  afterAll(() => stopAll());

  /** A call that the edge service never answers, under `token`; settles when the control plane ends it. */
  const hangingCall = (token: string, ac: AbortController) =>
    fetch(`${cp.apiBase}/call/svc/hang`, {
      headers: { authorization: `Bearer ${token}`, 'x-tether-timeout': '60000' },
      signal: ac.signal,
    }).then(
      (res) => `status ${res.status}`,
      (err: Error) => `failed: ${err.message}`,
    );

  it("ends the calls of the deleted token at the edge too, and leaves the other token's calls running", async () => {
    const keptAc = new AbortController();
    const deleted = hangingCall(callers.deleted.token, new AbortController());
    const kept = hangingCall(callers.kept.token, keptAc);
    await waitFor(() => echo.hanging() === 2, 'both calls to reach the edge service');
    await sleep(1_300); // past the gateway's LONG_CALL_MS: both calls are now registered with their tokens
    const res = await cp.api(`/api/v1/tokens/${callers.deleted.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await deleted).toMatch(/^failed/); // the connection was cut: no response came
    await waitFor(() => echo.hanging() === 1, "the deleted token's call to be cancelled at the edge");
    await sleep(300);
    expect(echo.hanging()).toBe(1);
    keptAc.abort();
    expect(await kept).toMatch(/^failed/);
    await waitFor(() => echo.hanging() === 0, 'the kept call to end once its client went away');
  });
});
