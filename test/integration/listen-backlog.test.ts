import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RAW_CAPACITY } from '../helpers/sim-workers.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// More than Node's default listen backlog (511): with it, the kernel completes at most 512 handshakes for a listener
// that does not accept, drops the rest, and those clients retry on SYN backoff (1, 2, 4 ... 32 s).
const DIALS = 1_200;

describe('a reconnect storm while the control plane does not accept', () => {
  afterAll(stopAll);

  it(`queues ${DIALS} TCP handshakes on the MQTT port in the kernel (none dropped), then serves them`, async () => {
    const cp = await startControlPlane({ config: RAW_CAPACITY });
    const port = Number(new URL(cp.mqttUrl).port);
    const pid = cp.proc.child.pid!;
    const sockets: Socket[] = [];
    let connected = 0;
    let closed = 0;
    // A stopped process accepts nothing: every handshake that completes now was queued by the kernel.
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < DIALS; i++) {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.on('connect', () => connected++);
        socket.on('close', () => closed++);
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      await waitFor(() => connected >= DIALS, `${DIALS} handshakes`, { timeoutMs: 5_000 }).catch(
        () => undefined,
      );
      expect(connected).toBe(DIALS);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Awake, the hub takes them: sockets that send no CONNECT are its to close, and it still answers.
    for (const socket of sockets) socket.end();
    await waitFor(() => closed >= DIALS, 'every socket closed', { timeoutMs: 20_000 });
    expect((await cp.api('/healthz')).status).toBe(200);
  });
});
