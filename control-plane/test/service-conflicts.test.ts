import { describe, expect, it } from 'vitest';
import {
  addAgent,
  connectAgent,
  edgeRoute,
  snapshot,
  useTestControlPlane,
  type TestAgent,
} from './helpers.js';

interface Conflict {
  agent: string;
  since: string;
}
interface Detail {
  conflicts: Conflict[];
  instances: { origin: string }[];
}

// Service names have owners (issue 12, item 4): the records, audit rows and metrics behind the selection rule.
describe('service name conflicts', () => {
  const api = useTestControlPlane({
    services: [{ name: 'ledger', url: 'http://127.0.0.1:9', labels: {}, metric: 1 }],
  });
  const { get, send, metric } = api;
  const auditRows = async (kind: string) =>
    (await get<{ entries: { agentId: string; detail: { service: string } }[] }>(`/api/v1/audit?kind=${kind}`))
      .entries;
  const conflictsOf = async (service: string) => (await get<Detail>(`/api/v1/services/${service}`)).conflicts;
  const advertise = async (agent: TestAgent, epoch: string, withLedger: boolean) => {
    const routes = [edgeRoute('e1', 'own', 'http://e1:1')];
    if (withLedger) routes.push(edgeRoute('e1', 'ledger', 'http://e1:2'));
    await agent.publish(snapshot(routes, epoch));
    await agent.next('agent-routes');
  };

  it('is recorded, counted and audited once, however often the edge re-advertises or reconnects', async () => {
    const secret = addAgent(api.cp, 'e1');
    let agent = await connectAgent(api.cp, 'e1', secret);
    await advertise(agent, 'a', true);
    const [conflict] = await conflictsOf('ledger');
    expect(conflict?.agent).toBe('e1');
    const services = await get<{ services: { name: string; conflicts: Conflict[] }[] }>('/api/v1/services');
    expect(services.services.find((s) => s.name === 'ledger')?.conflicts).toEqual([conflict]);
    expect(services.services.find((s) => s.name === 'own')?.conflicts).toEqual([]);

    await advertise(agent, 'b', true); // a new snapshot
    await advertise(agent, 'c', false); // withdrawn...
    expect(await conflictsOf('ledger')).toEqual([]);
    expect(await metric('tether_service_conflicts')).toBe(0);
    await advertise(agent, 'd', true); // ...and advertised again
    await agent.end();
    agent = await connectAgent(api.cp, 'e1', secret); // a reconnect
    await advertise(agent, 'e', true);

    expect(await conflictsOf('ledger')).toEqual([conflict]); // the same record, the same `since`
    expect((await auditRows('service-conflict')).map((e) => [e.agentId, e.detail.service])).toEqual([
      ['e1', 'ledger'],
    ]);
    expect(await metric('tether_service_conflicts_total')).toBe(1);
    expect(await metric('tether_service_conflicts')).toBe(1);
    await agent.end();
  });

  it('is resolved (audited) when the policy admits the agent, and opens again when it no longer does', async () => {
    expect((await send('PUT', '/api/v1/services/ledger/policy', { allowEdgeInstances: ['e1'] })).status).toBe(
      200,
    );
    expect(await conflictsOf('ledger')).toEqual([]);
    expect((await auditRows('service-conflict-resolved')).map((e) => e.agentId)).toEqual(['e1']);
    expect(await metric('tether_service_conflicts')).toBe(0);

    expect((await send('DELETE', '/api/v1/services/ledger/policy')).status).toBe(204);
    expect((await conflictsOf('ledger')).map((c) => c.agent)).toEqual(['e1']);
    expect(await auditRows('service-conflict')).toHaveLength(2);
  });

  it('is resolved when the central definition goes: the edges own the name again', async () => {
    expect((await send('DELETE', '/api/v1/services/ledger')).status).toBe(204);
    expect(await conflictsOf('ledger')).toEqual([]);
    expect(await auditRows('service-conflict-resolved')).toHaveLength(2);
    const created = await send('POST', '/api/v1/services', { name: 'ledger', url: 'http://127.0.0.1:9' });
    expect(created.status).toBe(201);
    expect((await conflictsOf('ledger')).map((c) => c.agent)).toEqual(['e1']);
  });
});
