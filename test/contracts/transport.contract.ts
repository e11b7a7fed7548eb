import type { Transport } from '@tether/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';

/** What a Transport implementation provides to the contract: a way to open links to one shared broker. */
export interface TransportFixture {
  /** Opens a new link (a new client, or a new handle on the in-process broker). */
  open(name: string): Promise<Transport>;
  /** Stops the broker. */
  close(): Promise<void>;
}

/** One contract for every Transport (hono's common.case pattern): each implementation runs the same suite. */
export function describeTransportContract(name: string, setup: () => Promise<TransportFixture>): void {
  describe(`Transport contract: ${name}`, () => {
    let fx: TransportFixture;
    let a: Transport;
    let b: Transport;

    beforeAll(async () => {
      fx = await setup();
      a = await fx.open('a');
      b = await fx.open('b');
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await fx.close();
    });

    it('delivers a publish to a subscriber, payload bytes intact', async () => {
      const got: { topic: string; payload: Uint8Array }[] = [];
      const off = await b.subscribe('contract/one', (topic, payload) => got.push({ topic, payload }), {
        qos: 1,
      });
      const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255]);
      await a.publish('contract/one', bytes, { qos: 1 });
      await a.publish('contract/one', 'text', { qos: 0 });
      await waitFor(() => got.length === 2, 'two messages');
      expect(got[0]!.topic).toBe('contract/one');
      expect([...got[0]!.payload]).toEqual([...bytes]);
      expect(Buffer.from(got[1]!.payload).toString()).toBe('text');
      await off();
    });

    it('honours single-level wildcards and does not deliver other topics', async () => {
      const topics: string[] = [];
      const off = await b.subscribe('contract/+/x', (topic) => topics.push(topic), { qos: 1 });
      await a.publish('contract/p/x', 'm', { qos: 1 });
      await a.publish('contract/p/y', 'm', { qos: 1 });
      await a.publish('contract/q/x', 'm', { qos: 1 });
      await waitFor(() => topics.length === 2, 'two matching messages');
      expect(topics.sort()).toEqual(['contract/p/x', 'contract/q/x']);
      await off();
    });

    it('stops delivering after unsubscribe', async () => {
      let count = 0;
      const off = await b.subscribe('contract/off', () => count++, { qos: 1 });
      await a.publish('contract/off', '1', { qos: 1 });
      await waitFor(() => count === 1, 'first message');
      await off();
      await a.publish('contract/off', '2', { qos: 1 });
      // A marker published after the unsubscribed message arrives on another subscription: order proves absence.
      let marker = false;
      const offMarker = await b.subscribe('contract/marker', () => (marker = true), { qos: 1 });
      await a.publish('contract/marker', 'm', { qos: 1 });
      await waitFor(() => marker, 'marker');
      expect(count).toBe(1);
      await offMarker();
    });

    it('delivers a retained message to a later subscriber', async () => {
      await a.publish('contract/retained', 'kept', { qos: 1, retain: true });
      const got: string[] = [];
      const off = await b.subscribe('contract/retained', (_t, p) => got.push(Buffer.from(p).toString()), {
        qos: 1,
      });
      await waitFor(() => got.length === 1, 'the retained message');
      expect(got).toEqual(['kept']);
      await off();
    });
  });
}
