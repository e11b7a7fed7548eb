import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { publishHead } from '@tether/shared';

describe('publishHead', () => {
  it('with its payload, is the QoS 0 PUBLISH mqtt-packet writes, across every remaining-length size', () => {
    const topics = ['tether/v1/agents/a1/tunnel-down', 'tether/v1/agents/a1/tunnel-down/r-1', 'ü/€'];
    // 1, 2, 3 and 4 bytes of remaining length, on and around each boundary.
    const sizes = [0, 1, 90, 127, 16_000, 16_383, 70_000, 2_097_100, 2_097_200];
    for (const topic of topics)
      for (const size of sizes) {
        const payload = Buffer.alloc(size, size % 251);
        const ours = Buffer.concat([publishHead(topic, size), payload]);
        const reference = mqttPacket.generate({
          cmd: 'publish',
          topic,
          payload,
          qos: 0,
          retain: false,
          dup: false,
        });
        expect(ours.equals(reference), `${topic} ${size}`).toBe(true);
      }
  });

  it('refuses a packet MQTT cannot frame', () => {
    expect(() => publishHead('t', 268_435_455)).toThrow(RangeError);
    expect(() => publishHead('x'.repeat(65_536), 0)).toThrow(RangeError);
  });
});
