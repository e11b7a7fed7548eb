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

/** Where a PUBLISH is written: a socket (or a TLS or WebSocket stream) owned by the caller. */
export interface PacketSink {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
}

/** Below this many payload bytes a PUBLISH goes out joined with its head in one write; above, corked in parts. */
export const JOIN_PUBLISH_BELOW = 16 * 1024;

/**
 * Writes one QoS 0 PUBLISH of `parts` (`size` bytes in all) on `topic` to `sink`: a short payload joined with its
 * head (one small copy, one write), a longer one corked part by part (one writev, no copy). Returns what the last
 * write returned (false: wait for 'drain'), and the payload when it was joined (for observers), else undefined.
 */
export function writePublish(
  sink: PacketSink,
  topic: string,
  parts: readonly Uint8Array[],
  size: number,
): { flowing: boolean; joined: Uint8Array | undefined } {
  const head = publishHead(topic, size);
  if (size < JOIN_PUBLISH_BELOW) {
    const packet = Buffer.concat([head, ...parts], head.byteLength + size);
    return { flowing: sink.write(packet), joined: packet.subarray(head.byteLength) };
  }
  sink.cork();
  let flowing = sink.write(head);
  for (const part of parts) if (part.byteLength > 0) flowing = sink.write(part);
  sink.uncork();
  return { flowing, joined: undefined };
}
