import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type MessageHandler, type Transport } from '@tether/shared';
import { ClusterPresence, heartbeatTopic, presenceTopic } from '../src/cluster/presence.js';
import { ManualClock, silentLogger } from './helpers.js';

/** An in-memory fabric for one replica's presence: records publishes, delivers what a test injects. */
class FakeFabric implements Transport {
  readonly published: { topic: string; payload: string; retain: boolean }[] = [];
  readonly #handlers = new Map<string, MessageHandler>();

  publish(topic: string, payload: Uint8Array | string, options?: { retain?: boolean }): Promise<void> {
    this.published.push({ topic, payload: String(payload), retain: options?.retain ?? false });
    return Promise.resolve();
  }

  subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.#handlers.set(filter, handler);
    return Promise.resolve(() => Promise.resolve(void this.#handlers.delete(filter)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Delivers a message from another replica to the filter that matches its kind. */
  deliver(filter: string, message: object): void {
    const handler = this.#handlers.get(filter);
    if (!handler) throw new Error(`nobody subscribed to ${filter}`);
    void handler(filter, Buffer.from(JSON.stringify(message)));
  }

  presence(agentId: string, replica: string, online: boolean): void {
    this.deliver(presenceTopic('+'), { v: PROTOCOL_VERSION, type: 'presence', agentId, replica, online });
  }

  beat(replica: string): void {
    this.deliver(heartbeatTopic('+'), { v: PROTOCOL_VERSION, type: 'heartbeat', replica });
  }
}

async function started(): Promise<{
  fabric: FakeFabric;
  clock: ManualClock;
  presence: ClusterPresence;
  events: string[];
}> {
  const fabric = new FakeFabric();
  const clock = new ManualClock();
  const events: string[] = [];
  const presence = new ClusterPresence({
    transport: fabric,
    replicaId: 'r1',
    clock,
    logger: silentLogger,
    onOnline: (id) => events.push(`online ${id}`),
    onOffline: (id) => events.push(`offline ${id}`),
    onLost: (ids) => events.push(`lost ${[...ids].sort().join(' ')}`),
    heartbeatMs: 1_000,
  });
  await presence.start();
  return { fabric, clock, presence, events };
}

describe('ClusterPresence (fake clock, in-memory fabric)', () => {
  it('beats every heartbeat interval and announces its own agents retained', async () => {
    const { fabric, clock, presence } = await started();
    clock.advance(3_000);
    expect(fabric.published.filter((p) => p.topic === heartbeatTopic('r1'))).toHaveLength(4);
    presence.announce('a1', true);
    const announced = fabric.published.find((p) => p.topic === presenceTopic('a1'));
    expect(announced?.retain).toBe(true);
    expect(JSON.parse(announced!.payload)).toMatchObject({ agentId: 'a1', replica: 'r1', online: true });
    presence.stop();
    clock.advance(5_000);
    expect(fabric.published.filter((p) => p.topic === heartbeatTopic('r1'))).toHaveLength(4);
  });

  it('tracks the owner of remote agents; a late offline of a previous owner is ignored', async () => {
    const { fabric, presence, events } = await started();
    fabric.presence('a1', 'r2', true);
    expect(presence.remoteOwner('a1')).toBe('r2');
    fabric.presence('a1', 'r3', true); // the agent moved to r3
    fabric.presence('a1', 'r2', false); // r2 saw the old socket close late
    expect(presence.remoteOwner('a1')).toBe('r3');
    fabric.presence('a1', 'r3', false);
    expect(presence.remoteOwner('a1')).toBeUndefined();
    expect(events).toEqual(['online a1', 'online a1', 'offline a1']);
    // Our own agents are never remote and raise no events.
    fabric.presence('a2', 'r1', true);
    expect(presence.remoteOwner('a2')).toBeUndefined();
    expect(presence.remoteCount).toBe(0);
    expect(events).toHaveLength(3);
  });

  it('a replica silent past 3 heartbeats loses its agents, told at once; one that keeps beating keeps them', async () => {
    const { fabric, clock, presence, events } = await started();
    fabric.beat('r2');
    fabric.beat('r3');
    fabric.presence('a1', 'r2', true);
    fabric.presence('b1', 'r3', true);
    fabric.presence('b2', 'r3', true);
    expect(presence.remoteCount).toBe(3);
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      fabric.beat('r2'); // r3 fell silent
    }
    expect(presence.remoteOwner('a1')).toBe('r2');
    expect(presence.remoteOwner('b1')).toBeUndefined();
    expect(presence.remoteCount).toBe(1);
    // One call with every agent of the dead replica (its survivor records them together), none one by one.
    expect(events.filter((e) => !e.startsWith('online'))).toEqual(['lost b1 b2']);
    // Its agents reconnecting to a survivor come back online.
    fabric.presence('b1', 'r2', true);
    expect(presence.remoteOwner('b1')).toBe('r2');
  });

  it('ignores malformed and unversioned messages', async () => {
    const { fabric, presence, events } = await started();
    fabric.deliver(presenceTopic('+'), { type: 'presence', agentId: 'a1', replica: 'r2', online: true });
    fabric.deliver(presenceTopic('+'), {
      v: PROTOCOL_VERSION,
      type: 'presence',
      agentId: 'a/1',
      replica: 'r2',
    });
    expect(presence.remoteCount).toBe(0);
    expect(events).toEqual([]);
  });
});
