import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, routesDigest } from '@tether/shared';
import { AgentStore } from '../src/index.js';
import { registerAgent } from '../src/agents/registration/register-agent.js';
import { connectAgent, edgeRoute, snapshot, useTestControlPlane, type TestAgent } from './helpers.js';

// Hub-enforced strategy (issue 12, item 7): the hub refuses advertised routes of an agent whose strategy it fixed
// to `none`, whatever the agent declares, and of an agent that declares `none` yet sends routes.
describe('hub-enforced strategy', () => {
  const api = useTestControlPlane();
  const { get } = api;
  const routesOf = async (agent: string) =>
    (await get<{ routes: unknown[] }>(`/api/v1/routes?agent=${agent}`)).routes;
  const refusals = async (agent: string) =>
    (
      await get<{ entries: { agentId: string; detail: { reason: string } }[] }>(
        '/api/v1/audit?kind=routes-refused',
      )
    ).entries
      .filter((e) => e.agentId === agent)
      .map((e) => e.detail.reason);
  const refused = (reason: string) => api.metric(`tether_refused_routes_total{reason="${reason}"}`);
  const connect = (id: string, strategy?: 'none') => {
    const { secret } = registerAgent(new AgentStore(api.cp.db), { id, ...(strategy ? { strategy } : {}) }, 1);
    return connectAgent(api.cp, id, secret);
  };
  /** Sends a snapshot and waits for its answer: an `error` first when `error` is set, then `agent-routes`. */
  const sendSnapshot = async (agent: TestAgent, message: object, error?: string) => {
    await agent.publish(message);
    if (error) expect(await agent.next('error')).toMatchObject({ code: error });
    await agent.next('agent-routes');
  };

  it('an agent fixed to none has none of its snapshot or delta routes stored, declaring local or not', async () => {
    const agent = await connect('sensor', 'none');
    const view = await get<{ fixedStrategy: string | null }>('/api/v1/agents/sensor');
    expect(view.fixedStrategy).toBe('none');
    const routes = [edgeRoute('sensor', 'a', 'http://s:1'), edgeRoute('sensor', 'b', 'http://s:2')];
    await sendSnapshot(agent, snapshot(routes, 'e1'), 'routes_refused');
    expect(await routesOf('sensor')).toEqual([]);
    await sendSnapshot(agent, snapshot(routes, 'e2'), 'routes_refused');

    // A delta's upserts are refused too; its sequence still counts, so the next one is no gap.
    const upsert = {
      v: PROTOCOL_VERSION,
      type: 'advert-delta',
      epoch: 'e2',
      upserts: [routes[0]],
      removes: [],
    };
    await agent.publish({ ...upsert, seq: 1 });
    expect(await agent.next('error')).toMatchObject({ code: 'routes_refused' });
    await agent.publish({ ...upsert, seq: 2 });
    expect(await agent.next('error')).toMatchObject({ code: 'routes_refused' });
    // The agent's digest covers what it advertised: no resync loop over routes the hub will never store.
    const digest = { v: PROTOCOL_VERSION, type: 'advert-digest', epoch: 'e2', seq: 2, count: 2 };
    await agent.publish({ ...digest, digest: routesDigest(routes) });
    await agent.publish(snapshot([], 'e3')); // compliant: nothing to refuse
    await agent.next('agent-routes');
    expect(agent.inbox.filter((m) => m.type === 'resync-request')).toEqual([]);
    expect(agent.inbox.filter((m) => m.type === 'error')).toHaveLength(4);

    expect(await routesOf('sensor')).toEqual([]);
    expect(await refusals('sensor')).toEqual(['fixed-none']); // audited once
    expect(await refused('fixed_none')).toBe(6);
    await agent.end();
  });

  it('an agent declaring none in its snapshot has none of its routes stored', async () => {
    const agent = await connect('liar');
    const message = { ...snapshot([edgeRoute('liar', 'a', 'http://l:1')]), strategy: 'none' };
    await sendSnapshot(agent, message, 'routes_refused');
    expect(await routesOf('liar')).toEqual([]);
    expect(await refusals('liar')).toEqual(['declared-none']);
    expect(await refused('declared_none')).toBe(1);
    expect((await get<{ strategy: string }>('/api/v1/agents/liar')).strategy).toBe('none');
    await agent.end();
  });

  it('an agent without a fixed strategy that declares local has its routes stored', async () => {
    const agent = await connect('honest');
    await sendSnapshot(agent, snapshot([edgeRoute('honest', 'a', 'http://h:1')]));
    expect(await routesOf('honest')).toHaveLength(1);
    expect(agent.inbox.filter((m) => m.type === 'error')).toEqual([]);
    expect((await get<{ fixedStrategy: string | null }>('/api/v1/agents/honest')).fixedStrategy).toBeNull();
    await agent.end();
  });
});
