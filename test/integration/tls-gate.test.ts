import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from '../helpers/cli.js';
import { CP_BIN, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { clientHello, rawExchange, TLS_HANDSHAKE_RECORD } from '../helpers/raw-tls.js';
import { httpsText, startControlPlane, type ControlPlane } from '../helpers/tether.js';

// The mqtts listener admits a socket (rates, the cap on handshakes) before any TLS work: a refused connect gets
// no ServerHello. An agent over mqtts (CA-verified, pinned) is covered by tls.test.ts on the same listener.
describe('TLS gate: the admission checks come before the TLS handshake', () => {
  let cp: ControlPlane;
  let port: number;
  let ca: string;
  let hello: Buffer;
  const metrics = (): Promise<string> => httpsText(`${cp.apiBase}/metrics`, { ca });
  const handshakesStarted = async (): Promise<number> =>
    counter(await metrics(), 'tether_tls_handshakes_total');

  beforeAll(async () => {
    const dataDir = tempDir('tether-cp-tls-gate-');
    const init = await runNode([CP_BIN, 'certs', 'init', '--data-dir', dataDir, '--host', 'localhost']);
    expect(init.code, init.stderr).toBe(0);
    const caFile = (JSON.parse(init.stdout) as { ca: string }).ca;
    ca = readFileSync(caFile, 'utf8');
    cp = await startControlPlane({
      dataDir,
      plainMqtt: false,
      caFile,
      args: ['--mqtts-port', '0'],
      config: {
        limits: {
          connectRate: { perSecond: 0.01, burst: 2 },
          maxHandshakes: 2,
          handshakeTimeout: '1s',
        },
      },
    });
    port = Number(new URL(cp.mqttsUrl!).port);
    hello = await clientHello();
  });
  afterAll(stopAll);

  it('over the per-source rate, a ClientHello gets its socket closed without a ServerHello', async () => {
    const from = '127.0.0.11';
    const opts = { settleMs: 5_000, untilBytes: true };
    for (let i = 0; i < 2; i++) {
      const admitted = await rawExchange(port, from, hello, opts);
      expect(admitted.received[0]).toBe(TLS_HANDSHAKE_RECORD); // the ClientHello is real: a ServerHello answers
    }
    const started = await handshakesStarted();
    const refused = await rawExchange(port, from, hello, opts);
    expect(refused.closedByServer).toBe(true);
    expect(refused.received.length).toBe(0); // not one TLS byte: no handshake was made for it
    const text = await metrics();
    expect(counter(text, 'tether_socket_refusals_total', 'rate_limited')).toBe(1);
    expect(counter(text, 'tether_tls_handshakes_total')).toBe(started);
  });

  it('sockets that never send a ClientHello hold the handshake cap until the timeout closes them', async () => {
    // Two silent sockets fill the cap (2); they are closed by the 1 s handshake timeout, not by us (5 s).
    const silent = ['127.0.0.21', '127.0.0.22'].map((from) =>
      rawExchange(port, from, undefined, { settleMs: 5_000 }),
    );
    await new Promise((r) => setTimeout(r, 200)); // both accepted and admitted
    const full = await rawExchange(port, '127.0.0.23', hello, { settleMs: 5_000, untilBytes: true });
    expect(full.closedByServer).toBe(true);
    expect(full.received.length).toBe(0);
    for (const s of await Promise.all(silent)) {
      expect(s.closedByServer).toBe(true);
      expect(s.received.length).toBe(0);
    }
    const text = await metrics();
    expect(counter(text, 'tether_socket_refusals_total', 'reason="handshakes"')).toBe(1);
    expect(counter(text, 'tether_socket_refusals_total', 'handshake_timeout')).toBe(2);
    expect(counter(text, 'tether_tls_handshakes_total', 'timeout')).toBe(2);
    // The cap is free again: the same address is admitted and answered.
    const after = await rawExchange(port, '127.0.0.23', hello, { settleMs: 5_000, untilBytes: true });
    expect(after.received[0]).toBe(TLS_HANDSHAKE_RECORD);
  });

  /** A TLS 1.2 session (renegotiation exists only up to 1.2) from `from`, once secure, with its raw TCP socket. */
  const secureSession = (from: string): Promise<{ raw: Socket; tls: TLSSocket; closed: Promise<void> }> =>
    new Promise((resolve, reject) => {
      const raw = netConnect({ port, host: '127.0.0.1', localAddress: from });
      const closed = new Promise<void>((done) => raw.once('close', () => done()));
      const tls = tlsConnect({ socket: raw, ca, servername: 'localhost', maxVersion: 'TLSv1.2' });
      tls.on('error', () => undefined);
      tls.once('secureConnect', () => resolve({ raw, tls, closed }));
      raw.once('close', () => reject(new Error('closed before the handshake completed')));
    });

  it("refuses a renegotiation: a handshake done is not made again at the server's expense", async () => {
    const { tls, closed } = await secureSession('127.0.0.31');
    // The server answers a renegotiation with a no_renegotiation alert: the client's renegotiation never completes
    // (or fails). Before, it completed at once, as often as the client asked.
    const outcome = await new Promise<string>((resolve) => {
      const asked = tls.renegotiate({ rejectUnauthorized: true }, (err) =>
        resolve(err ? 'failed' : 'renegotiated'),
      );
      if (!asked) resolve('refused locally');
      setTimeout(() => resolve('no renegotiation'), 3_000);
    });
    expect(outcome).not.toBe('renegotiated');
    tls.destroy();
    await closed;
  });

  it('closes a connection whose TLS records go bad after the handshake (no socket left open behind an error)', async () => {
    const { raw, closed } = await secureSession('127.0.0.32');
    // An application-data record whose bytes cannot decrypt: a fatal error in the server's TLS layer.
    raw.write(Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x40]), Buffer.alloc(0x40, 0xab)]));
    let closedByServer = false;
    await Promise.race([
      closed.then(() => (closedByServer = true)),
      new Promise((r) => setTimeout(r, 5_000)), // well inside the CONNECT timeout (10 s), which would close it too
    ]);
    raw.destroy();
    expect(closedByServer).toBe(true);
  });
});
