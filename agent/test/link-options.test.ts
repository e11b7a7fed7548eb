import { describe, expect, it } from 'vitest';
import { AgentStatusSchema, decode, statusTopic } from '@tether/shared';
import { linkOptions } from '../src/config/link-options.js';
import { buildTlsPlan } from '../src/link/tls/tls-plan.js';
import type { WillMessage } from '../src/link/mqtt-transport-types.js';

const identity = { id: 'edge-a', strategy: 'local' as const, site: 's1', labels: {}, version: '1.0.0' };
const logger = { warn: () => {}, error: () => {}, debug: () => {} };

describe('linkOptions', () => {
  it('dials with the agent id and secret, every replica only when there are several, a fresh offline will', () => {
    let now = 1_000;
    const clock = { now: () => now, setTimeout, clearTimeout };
    const context = { identity, controlPlane: 'mqtt://a:1883', tls: buildTlsPlan({}), clock, logger };
    const one = linkOptions(
      { id: 'edge-a', secret: 's3cret', controlPlane: 'a', controlPlanes: ['mqtt://a:1883'] },
      context,
    );
    expect(one).toMatchObject({
      url: 'mqtt://a:1883',
      clientId: 'edge-a',
      username: 'edge-a',
      password: 's3cret',
    });
    expect(one.urls).toBeUndefined();
    const two = linkOptions(
      {
        id: 'edge-a',
        secret: 's3cret',
        controlPlane: 'a',
        controlPlanes: ['mqtt://a:1883', 'mqtt://b:1883'],
      },
      context,
    );
    expect(two.urls).toEqual(['mqtt://a:1883', 'mqtt://b:1883']);
    const will = two.will as () => WillMessage;
    now = 5_000;
    const message = will();
    expect(message).toMatchObject({ topic: statusTopic('edge-a'), qos: 1, retain: true });
    const status = decode(AgentStatusSchema, Buffer.from(message.payload));
    expect(status.ok && status.message).toMatchObject({ agentId: 'edge-a', status: 'offline', at: 5_000 });
  });
});
