/** The largest remaining length an MQTT fixed header can encode (4 bytes of varint). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * The head of an MQTT 3.1.1 QoS 0 PUBLISH (no DUP, no RETAIN) carrying `payloadLength` bytes on `topic`: fixed
 * header, remaining length and the length-prefixed topic. The payload follows it on the wire as it is.
 */
export function publishHead(topic: string, payloadLength: number): Buffer {
  const topicLength = Buffer.byteLength(topic, 'utf8');
  if (topicLength > 0xffff) throw new RangeError(`MQTT topic of ${topicLength} bytes is too long`);
  const remaining = 2 + topicLength + payloadLength;
  if (remaining > MAX_REMAINING_LENGTH)
    throw new RangeError(`MQTT packet of ${remaining} bytes is too large`);
  const varint = remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x20_0000 ? 3 : 4;
  const head = Buffer.allocUnsafe(1 + varint + 2 + topicLength);
  head[0] = 0x30; // PUBLISH, QoS 0
  let at = 1;
  let rest = remaining;
  do {
    const digit = rest % 0x80;
    rest = Math.floor(rest / 0x80);
    head[at++] = rest > 0 ? digit | 0x80 : digit;
  } while (rest > 0);
  head.writeUInt16BE(topicLength, at);
  head.write(topic, at + 2, 'utf8');
  return head;
}
