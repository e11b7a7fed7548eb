/**
 * The part of an mqtt-packet 9 `Parser` (the one aedes 1.2 gives each client) that the fast path reads and calls:
 * whether it holds a partial packet, and the 'packet' event aedes listens to.
 */
export interface PacketParser {
  parse(buf: Buffer): number;
  emit(event: 'packet', packet: object): boolean;
  _list: { length: number };
  _stateCounter: number;
  error: unknown;
  settings: { protocolVersion?: number } | undefined;
}

/** A QoS 0 PUBLISH as mqtt-packet's parser emits it: the same fields, in the same order. */
export interface Qos0Publish {
  cmd: 'publish';
  retain: false;
  qos: 0;
  dup: false;
  length: number;
  topic: string;
  payload: Buffer;
}

/** The first byte of a QoS 0 PUBLISH without DUP or RETAIN: the packets agents send most. */
const PUBLISH_QOS0 = 0x30;

/**
 * The complete QoS 0 PUBLISH packets (first byte exactly 0x30) at the start of `buf`, parsed as mqtt-packet parses
 * them (topic decoded as UTF-8, payload a view of `buf`), and the offset where the first other packet, or a packet
 * cut short, begins. Pure: nothing is emitted.
 */
export function leadingPublishes(buf: Buffer): { packets: Qos0Publish[]; next: number } {
  const packets: Qos0Publish[] = [];
  let at = 0;
  while (at < buf.length && buf[at] === PUBLISH_QOS0) {
    let length = 0;
    let multiplier = 1;
    let i = at + 1;
    let done = false;
    for (let n = 0; n < 4 && i < buf.length; n++) {
      const byte = buf[i++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 0x80;
      if ((byte & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done) break; // cut short, or a malformed length: mqtt-packet decides
    const end = i + length;
    if (length < 2 || end > buf.length) break;
    const topicLength = buf.readUInt16BE(i);
    const topicEnd = i + 2 + topicLength;
    if (topicEnd > end) break; // mqtt-packet refuses it: 'Cannot parse topic'
    packets.push({
      cmd: 'publish',
      retain: false,
      qos: 0,
      dup: false,
      length,
      topic: buf.toString('utf8', i + 2, topicEnd),
      payload: buf.subarray(topicEnd, end),
    });
    at = end;
  }
  return { packets, next: at };
}

/**
 * Parses the QoS 0 PUBLISH packets that start a read in place of mqtt-packet, emitting the same packets in the same
 * order on the parser's own 'packet' event, so aedes handles them as before (topic checks, the publish ACL and rate
 * limits, keepalive, the local receiver, 'publish' observers). Everything else, and anything read while the parser
 * holds part of a packet, goes to mqtt-packet: after the hub's tunnel answers, its parse (a buffer list, a string
 * read through it, debug calls) was the largest part of the broker's work per call.
 */
export function installPublishFastPath(parser: PacketParser): void {
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer): number => {
    const clean = parser._list.length === 0 && parser._stateCounter === 0 && !parser.error;
    if (!clean || parser.settings?.protocolVersion === 5 || buf[0] !== PUBLISH_QOS0) return parse(buf);
    const { packets, next } = leadingPublishes(buf);
    for (const packet of packets) parser.emit('packet', packet);
    return next < buf.length ? parse(buf.subarray(next)) : 0;
  };
}
