import type { Duplex } from 'node:stream';
import { writePublish, type DrainWaits } from '@tether/shared';

function uncork(stream: Duplex): void {
  stream.uncork();
}

/**
 * Writes a QoS 0 PUBLISH of `parts` straight onto an MQTT connection's stream, held (corked) until the next tick
 * as MQTT.js's own packets are, so the messages of one turn leave in one write. Resolves at once while the stream
 * takes more, else when it drained or closed (`drains`).
 */
export function publishOnStream(
  stream: Duplex,
  drains: DrainWaits<Duplex>,
  topic: string,
  parts: readonly Uint8Array[],
  size: number,
): Promise<void> {
  if (stream.writableCorked === 0) {
    stream.cork();
    process.nextTick(uncork, stream);
  }
  const { flowing } = writePublish(stream, topic, parts, size);
  return flowing ? Promise.resolve() : drains.wait(stream);
}
