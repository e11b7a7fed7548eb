import { describe, expect, it } from 'vitest';
import { LinkTraffic } from '../src/link/link-traffic.js';

describe('LinkTraffic', () => {
  it('counts publishes each way and keeps the socket bytes of closed connections', () => {
    const traffic = new LinkTraffic();
    const first = { bytesWritten: 100 };
    traffic.opened(first);
    traffic.sent(10);
    traffic.sent(5);
    traffic.received(7);
    first.bytesWritten = 150;
    expect(traffic.snapshot()).toEqual({
      messagesIn: 1,
      messagesOut: 2,
      bytesIn: 7,
      bytesOut: 15,
      socketBytesOut: 150,
    });
    traffic.closed();
    traffic.opened({ bytesWritten: 20 });
    expect(traffic.snapshot().socketBytesOut).toBe(170);
    traffic.closed();
    traffic.opened(undefined); // a WebSocket connection: no byte count
    expect(traffic.snapshot().socketBytesOut).toBe(170);
  });
});
