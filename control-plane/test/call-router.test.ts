import * as http from 'node:http';
import * as https from 'node:https';
import { describe, expect, it } from 'vitest';
import {
  AgentOfflineError,
  createUpstreamClient,
  routeKey,
  systemClock,
  type PreparedBody,
  type Route,
  type TunnelEndpoint,
  type TunnelResponse,
} from '@tether/shared';
import { CallRouter, type CallSpec } from '../src/calls/call-router.js';
import type { CallOutcome, RoutePicker } from '../src/calls/route-picker.js';
import type { TunnelHub } from '../src/calls/tunnel-hub.js';
import { createLogger } from '../src/observability/logger.js';

function route(origin: string): Route {
  return {
    service: 'svc',
    address: `http://${origin}`,
    origin,
    originKind: 'edge',
    site: 's',
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
  };
}

const routes = [route('edge-1'), route('edge-2')];

function setup(connected: string[]) {
  const outcomes: Array<[string, CallOutcome]> = [];
  const picks: string[][] = [];
  const picker: RoutePicker = {
    knows: () => true,
    pick: (_s, _c, exclude) => {
      picks.push([...exclude]);
      const r = routes.find((x) => !exclude.has(routeKey(x)));
      if (!r) throw new AgentOfflineError('none left');
      return r;
    },
    begin: (key) => (o) => outcomes.push([key, o]),
  };
  const endpoint = {
    call: async (): Promise<TunnelResponse> => ({
      status: 200,
      headers: [],
      body: (async function* () {
        yield new Uint8Array([1]);
      })(),
    }),
  } as unknown as TunnelEndpoint;
  const tunnels = {
    endpointFor: (id: string) => (connected.includes(id) ? endpoint : undefined),
  } as unknown as TunnelHub;
  const router = new CallRouter({
    picker,
    tunnels,
    upstream: createUpstreamClient({ http, https }),
    clock: systemClock,
    logger: createLogger('silent'),
  });
  return { router, outcomes, picks };
}

function spec(method: string, body: CallSpec['body'] = { kind: 'none' }): CallSpec {
  return {
    service: 'svc',
    method,
    path: '/',
    query: '',
    headers: [],
    caller: { kind: 'central', id: 'central' },
    callerHeader: 'central',
    hops: 1,
    timeoutMs: 1000,
    body,
    signal: new AbortController().signal,
  };
}

describe('CallRouter', () => {
  it('retries an idempotent call once on another instance and reports both outcomes', async () => {
    const { router, outcomes, picks } = setup(['edge-2']);
    const res = await router.route(spec('GET'));
    for await (const _ of res.body) void _;
    expect(res.status).toBe(200);
    expect(picks).toEqual([[], [routeKey(routes[0]!)]]);
    expect(outcomes.map(([k, o]) => [k, o.ok])).toEqual([
      [routeKey(routes[0]!), false],
      [routeKey(routes[1]!), true],
    ]);
  });

  it('retries a call with a buffered body but never a POST', async () => {
    const buffered: PreparedBody = { kind: 'buffered', chunks: [new Uint8Array(3)] };
    expect((await setup(['edge-2']).router.route(spec('PUT', buffered))).status).toBe(200);
    await expect(setup(['edge-2']).router.route(spec('POST', buffered))).rejects.toBeInstanceOf(
      AgentOfflineError,
    );
  });

  it('does not retry a streamed body', async () => {
    const stream: PreparedBody = {
      kind: 'stream',
      body: (async function* () {
        yield new Uint8Array(1);
      })(),
    };
    await expect(setup(['edge-2']).router.route(spec('PUT', stream))).rejects.toBeInstanceOf(
      AgentOfflineError,
    );
  });

  it('gives up after the second attempt failed too', async () => {
    const { router, picks } = setup([]);
    await expect(router.route(spec('GET'))).rejects.toThrow(/edge-2 is not connected/);
    expect(picks).toHaveLength(2);
  });
});
