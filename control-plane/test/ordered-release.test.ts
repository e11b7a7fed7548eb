import { once } from 'node:events';
import { connect } from 'node:net';
import type { Client, PublishPacket } from 'aedes';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tunnelUpTopic } from '@tether/shared';
import { OrderedRelease } from '../src/broker/ordered-release.js';
import type { ControlPlane } from '../src/index.js';
import { addAgent, ManualClock, startTestControlPlane } from './helpers.js';

describe('OrderedRelease (fake clock)', () => {
  it('holds a publish the limiter passes behind an earlier one of its lane that is throttled', () => {
    const clock = new ManualClock();
    const order = new OrderedRelease<object>(clock);
    const a = {};
    const b = {};
    const went: string[] = [];
    const go = (name: string) => () => went.push(`${name}@${clock.now() - 1_000_000}`);
    order.release(a, 't', 3, go('a1'));
    order.release(a, 't', 0, go('a2')); // passed by the limiter, but a1 still waits
    order.release(a, 'advert', 0, go('a-advert')); // another topic of the same connection is not held
    order.release(b, 't', 0, go('b1')); // nor is another connection
    expect(went).toEqual(['a-advert@0', 'b1@0']);
    clock.advance(2);
    order.release(a, 't', 0, go('a3'));
    expect(went).toHaveLength(2);
    clock.advance(1);
    expect(went.slice(2)).toEqual(['a1@3', 'a2@3', 'a3@3']);
    order.release(a, 't', 0, go('a4')); // the line is empty again: at once
    expect(went.at(-1)).toBe('a4@3');
  });

  it('lets a publish released from inside a callback queue behind the ones still due', () => {
    const clock = new ManualClock();
    const order = new OrderedRelease<object>(clock);
    const key = {};
    const went: string[] = [];
    order.release(key, 't', 1, () => {
      went.push('first');
      order.release(key, 't', 0, () => went.push('read on'));
    });
    order.release(key, 't', 1, () => went.push('second'));
    clock.advance(1);
    expect(went).toEqual(['first', 'second', 'read on']);
  });

  it('a wall clock stepped back does not hold the line: the delays count from the timer', () => {
    const clock = new ManualClock();
    let offset = 0;
    let arms = 0;
    const wall = {
      now: () => clock.now() + offset,
      setTimeout: (fn: () => void, ms: number) => {
        if (++arms > 50) throw new Error('the line re-armed its timer over and over');
        return clock.setTimeout(fn, ms);
      },
      clearTimeout: (t: unknown) => clock.clearTimeout(t),
    };
    const order = new OrderedRelease<object>(wall);
    const key = {};
    const went: string[] = [];
    order.release(key, 't', 5, () => went.push('a'));
    order.release(key, 't', 8, () => went.push('b'));
    offset = -5_000; // an NTP step while they wait; timers keep their own (monotonic) time
    clock.advance(5);
    expect(went).toEqual(['a']);
    clock.advance(3);
    expect(went).toEqual(['a', 'b']);
  });

  it('a callback that throws does not strand the ones behind it', () => {
    const clock = new ManualClock();
    const order = new OrderedRelease<object>(clock);
    const key = {};
    const went: string[] = [];
    order.release(key, 't', 1, () => {
      throw new Error('boom');
    });
    order.release(key, 't', 1, () => went.push('behind'));
    expect(() => clock.advance(1)).toThrow('boom');
    clock.advance(1);
    expect(went).toEqual(['behind']);
  });

  it('releases every publish in arrival order per lane, none before its own delay (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 1 }),
            lane: fc.constantFrom('t', 'u'),
            delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
            gap: fc.integer({ min: 0, max: 5 }),
          }),
          { maxLength: 200 },
        ),
        (steps) => {
          const clock = new ManualClock(0);
          const order = new OrderedRelease<object>(clock);
          const keys = [{}, {}];
          const went: Array<{ lane: string; seq: number; at: number; earliest: number }> = [];
          steps.forEach(({ key, lane, delay, gap }, seq) => {
            clock.advance(gap);
            const earliest = clock.now() + delay;
            order.release(keys[key]!, lane, delay, () =>
              went.push({ lane: `${key}/${lane}`, seq, at: clock.now(), earliest }),
            );
          });
          clock.advance(10_000);
          expect(went.length).toBe(steps.length);
          for (const w of went) expect(w.at).toBeGreaterThanOrEqual(w.earliest);
          for (const lane of ['0/t', '0/u', '1/t', '1/u']) {
            const seqs = went.filter((w) => w.lane === lane).map((w) => w.seq);
            expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("a throttled agent's publishes reach the hub in order (real broker, raw socket)", () => {
  const clock = new ManualClock(Date.now());
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let secret = '';

  beforeAll(async () => {
    // 64 MiB/s with a 64 KiB burst: a 70 KB publish leaves a debt of ~0.07 ms, which the limiter rounds up to a
    // whole millisecond; a small publish read once the debt is paid finds tokens in the bucket.
    ({ cp, stop } = await startTestControlPlane({
      clock,
      limits: { agentBytes: { perSecond: 64 * 1024 * 1024, burst: 64 * 1024 } },
    }));
    secret = addAgent(cp, 'a1');
  });
  afterAll(() => stop());

  it('a small publish read after a throttled large one, once its debt is paid, does not overtake it', async () => {
    const topic = tunnelUpTopic('a1');
    const seen: number[] = [];
    const onPublish = (packet: PublishPacket, client: Client | null): void => {
      if (client?.id === 'a1' && packet.topic === topic)
        seen.push(Buffer.from(packet.payload).readUInt32BE(0));
    };
    const throttled = async (): Promise<number> =>
      (await cp.metrics.publishesThrottled.get()).values[0]?.value ?? 0;
    cp.broker.on('publish', onPublish);
    const socket = connect(cp.ports.mqtt!, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    /** Waits (bounded) until `done` holds; the broker runs in this process, so each wait lets it work. */
    const until = async (done: () => boolean | Promise<boolean>, what: string): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    try {
      await once(socket, 'connect');
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: 'a1',
          username: 'a1',
          password: Buffer.from(secret),
          keepalive: 30,
        }),
      );
      await until(() => received.length >= 4, 'CONNACK');
      expect(received.subarray(0, 4)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      const publish = (seq: number, size: number): Buffer => {
        const payload = Buffer.alloc(size, 0);
        payload.writeUInt32BE(seq, 0);
        return mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false });
      };
      const pingresp = Buffer.from([0xd0, 0x00]);
      const pings = (): number => {
        let n = 0;
        for (let at = received.indexOf(pingresp); at >= 0; at = received.indexOf(pingresp, at + 2)) n++;
        return n;
      };
      for (let i = 0; i < 3; i++) {
        const before = await throttled();
        socket.write(publish(2 * i, 70_000));
        await until(async () => (await throttled()) > before, 'the large publish to be throttled');
        clock.advance(0.5); // the debt is paid; the rounded-up wait is not over
        // The small publish and a PINGREQ in one read: once the PINGRESP is back, the small one was authorised.
        socket.write(Buffer.concat([publish(2 * i + 1, 16), mqttPacket.generate({ cmd: 'pingreq' })]));
        await until(() => pings() > i, 'PINGRESP');
        clock.advance(1);
        await until(() => seen.length >= 2 * i + 2, 'both publishes');
      }
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      cp.broker.off('publish', onPublish);
      socket.destroy();
    }
  });
});
