import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A sender of WebSocket messages whose messages of one event-loop turn leave in one write: the socket is corked at
 * the first message of a turn and uncorked on the next tick, so a group commit's hundreds of events (every route
 * of every agent it committed) cost one syscall, not one each. Messages to a socket that is not open are dropped.
 */
export function coalescedSender(ws: WebSocket, socket: Duplex): (data: string) => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return (data) => {
    if (ws.readyState !== ws.OPEN) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    ws.send(data);
  };
}
