import { describe, expect, it } from 'vitest';
import { TurnEndWork } from '@tether/shared';
import { AgentMetrics, type AgentMetricsSources } from '../src/observability/metrics.js';

const traffic = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, socketBytesOut: 0 };
const sources: AgentMetricsSources = {
  connection: () => ({ state: 'connected', reconnects: 0, traffic }),
  routes: () => ({ local: 0, central: 0 }),
  outbox: () => ({ depth: 0, bytes: 0, oldestAgeMs: null, dropped: 0 }),
};

describe("the agent's call metrics", () => {
  it('take the duration when the call ends and record the series at the end of the turn, after its answer', async () => {
    let endTurn: () => void = () => undefined;
    const later = new TurnEndWork(() => new Promise<void>((r) => (endTurn = r)));
    const metrics = new AgentMetrics(sources, later);
    let now = 1_000;
    const done = metrics.beginCall('in', 'orders', () => now);
    now += 250;
    done(200);
    now += 5_000; // the turn ends later: the duration was taken at the end of the call
    expect((await metrics.exposition()).body).not.toContain('tether_agent_calls_total{');
    endTurn();
    await new Promise((r) => setImmediate(r));
    const { body } = await metrics.exposition();
    expect(body).toContain('tether_agent_calls_total{direction="in",service="orders",status="200"} 1');
    expect(body).toContain(
      'tether_agent_call_duration_seconds_bucket{le="0.25",direction="in",service="orders",status="200"} 1',
    );
    expect(body).toContain(
      'tether_agent_call_duration_seconds_bucket{le="0.1",direction="in",service="orders",status="200"} 0',
    );
  });
});
