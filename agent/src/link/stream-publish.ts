import type { Duplex } from 'node:stream';
import { writePublish, type DrainWaits } from '@tether/shared';

/**
 * Writes a QoS 0 PUBLISH of `parts` straight onto an MQTT connection's stream, at once: the frames of a turn were
 * gathered into this one message already (FrameBatcher), so holding it (corked) to the next tick only made a
 * lone call's answer wait behind the rest of the tick (the upstream socket handed back to its pool, stream
 * bookkeeping). A stream MQTT.js holds corked this tick takes it in order behind its own packets. Resolves at once
 * while the stream takes more, else when it drained or closed (`drains`).
 */
export function publishOnStream(
  stream: Duplex,
  drains: DrainWaits<Duplex>,
  topic: string,
  parts: readonly Uint8Array[],
  size: number,
): Promise<void> {
  const { flowing } = writePublish(stream, topic, parts, size);
  return flowing ? Promise.resolve() : drains.wait(stream);
}
