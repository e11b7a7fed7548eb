/** Byte streams: pipes between sockets, readables and tunnel streams; dialing and serving services. */

// Pipes: one byte pipe, over a socket, a readable, or two joined.
export { type BytePipe, type PipeSink, splice } from './byte-pipe.js';
export { type PipeSocket, socketPipe } from './socket-pipe.js';
export { readablePipe } from './readable-pipe.js';
export { joinIncoming } from './join-stream.js';

// Ends: dialing a TCP or HTTP service, serving a client.
export { dialTcp, type NetModule } from './dial-tcp.js';
export { dialService, type ServiceIo } from './dial-service.js';
export type { FarEnd } from './far-end.js';
export { serveClient } from './serve-client.js';
