import WebSocket from 'ws';
import type { ControlPlane } from './tether.js';

/** An open token-authenticated WebSocket of the API, the frames it received, and how it closed (once it has). */
export interface ApiStream {
  ws: WebSocket;
  frames: string[];
  closed?: { code: number; reason: string };
}

/** Opens an API stream (`/api/v1/events`, ...) with `token` as a `bearer.` subprotocol or as `Authorization`. */
export async function openApiStream(
  cp: ControlPlane,
  path: string,
  token: string,
  via: 'subprotocol' | 'header' = 'subprotocol',
): Promise<ApiStream> {
  const url = `${cp.apiBase.replace('http', 'ws')}${path}`;
  const ws =
    via === 'subprotocol'
      ? new WebSocket(url, ['tether.v1', `bearer.${token}`])
      : new WebSocket(url, ['tether.v1'], { headers: { authorization: `Bearer ${token}` } });
  const stream: ApiStream = { ws, frames: [] };
  ws.on('message', (d: Buffer) => stream.frames.push(d.toString()));
  ws.on('close', (code, reason) => (stream.closed = { code, reason: reason.toString() }));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return stream;
}
