/** Byte streams: pipes between sockets, readables and tunnel streams; dialing TCP, serving clients. */

// Pipes: one byte pipe, over a socket, a readable, or two joined.
export { type BytePipe, type PipeSink, splice } from '../byte-pipe.js';
export { type PipeSocket, socketPipe } from './socket-pipe.js';
export { readablePipe } from './readable-pipe.js';
export { joinIncoming } from './join-stream.js';

// Ends: dialing a TCP service, the far end of a stream, serving a client (an HTTP service is dialed by http/).
export { dialTcp, type NetModule } from './dial-tcp.js';
export type { FarEnd } from './far-end.js';
export { serveClient } from './serve-client.js';
