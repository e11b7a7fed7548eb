import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from '../helpers/cli.js';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import { fixedHeader, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { allReports } from '../helpers/reports.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface AuditPage {
  entries: { kind: string; agentId: string | null; count: number; detail: Record<string, unknown> | null }[];
}

describe('broker abuse limits', () => {
  let cp: ControlPlane;
  const metrics = async () => (await fetch(`${cp.apiBase}/metrics`)).text();
  const closedBy = (conn: { client: mqtt.MqttClient }) =>
    new Promise<void>((resolve) => conn.client.once('close', () => resolve()));

  beforeAll(async () => {
    cp = await startControlPlane({
      args: ['--connect-timeout', '1s'],
      config: {
        limits: {
          agentMessages: { perSecond: 50, burst: 50 },
          maxThrottle: '200ms',
          quarantine: { denials: 2, window: '1m', base: '2s', max: '4s' },
        },
      },
    });
  });
  afterAll(stopAll);

  it('closes a connection that sends a packet over 256 KiB, and keeps one that stays under', async () => {
    const secret = await cp.addAgent('big');
    const under = await connectRaw(cp.mqttUrl, 'big', secret);
    if (!under.ok) throw new Error(under.error);
    await publishRaw(under.client, 'tether/v1/agents/big/reports', Buffer.alloc(200_000, 0x61), 0);
    expect(await publishRaw(under.client, 'tether/v1/agents/big/status', '', 1)).toBeUndefined();
    under.client.end(true);

    const over = await connectRaw(cp.mqttUrl, 'big', secret);
    if (!over.ok) throw new Error(over.error);
    const closed = closedBy(over);
    over.client.publish('tether/v1/agents/big/reports', Buffer.alloc(300_000, 0x61), { qos: 0 });
    await closed;
    expect(counter(await metrics(), 'tether_socket_refusals_total', 'packet_too_large')).toBe(1);
    expect((await cp.api<{ reports: unknown[] }>('/api/v1/reports?agent=big')).body.reports).toEqual([]);
  });

  it('an agent keeps its report batches under the limit on the wire (binary reports travel base64)', async () => {
    const edge = await startEdge({ id: 'binary', secret: await cp.addAgent('binary'), url: cp.mqttUrl });
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${edge.apiBase}/v1/reports/blobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(60 * 1024, i),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(async () => (await allReports(cp, 'binary')).length === 8, 'all 8 reports stored');
    expect(counter(await metrics(), 'tether_socket_refusals_total', 'packet_too_large')).toBe(1);
    await edge.proc.stop();
  });

  it('closes a socket that sends more than the pre-CONNECT byte limit', async () => {
    const s = await rawSocket(cp.mqttUrl);
    // A CONNECT whose declared length is legal, followed by more bytes than an unauthenticated peer may send.
    s.socket.write(fixedHeader(0x10, 200_000));
    for (let i = 0; i < 8 && !s.isClosed(); i++) {
      s.socket.write(Buffer.alloc(4096));
      await sleep(20);
    }
    await s.closed;
    expect(counter(await metrics(), 'tether_socket_refusals_total', 'pre_connect_bytes')).toBe(1);
  });

  it('closes sockets that do not send a whole CONNECT before the deadline (silent or trickling)', async () => {
    const silent = await rawSocket(cp.mqttUrl);
    const trickle = await rawSocket(cp.mqttUrl);
    trickle.socket.write(fixedHeader(0x10, 40));
    const timer = setInterval(() => trickle.socket.write(Buffer.alloc(1)), 100);
    try {
      await waitFor(() => silent.isClosed() && trickle.isClosed(), 'the server to close both sockets', {
        timeoutMs: 10_000,
      });
    } finally {
      clearInterval(timer);
    }
    expect(silent.socket.destroyed && trickle.socket.destroyed).toBe(true);
  });

  it('throttles an agent over its message rate, then disconnects it, counted and audited', async () => {
    const secret = await cp.addAgent('flood');
    const conn = await connectRaw(cp.mqttUrl, 'flood', secret);
    if (!conn.ok) throw new Error(conn.error);
    const closed = closedBy(conn);
    for (let i = 0; i < 2000 && conn.client.connected; i++)
      conn.client.publish('tether/v1/agents/flood/tunnel-up', Buffer.from([i & 255]), { qos: 0 });
    await closed;
    const text = await metrics();
    expect(counter(text, 'tether_publish_denials_total', 'reason="rate"')).toBe(1);
    expect(counter(text, 'tether_publishes_throttled_total')).toBeGreaterThan(0);
    const audit = await cp.api<AuditPage>('/api/v1/audit?agent=flood&kind=rate-limited');
    expect(audit.body.entries).toHaveLength(1);
  });

  it('a denied QoS 1 publish, resent on every reconnect, disconnects once per connection, then quarantines', async () => {
    const secret = await cp.addAgent('pest');
    const before = counter(await metrics(), 'tether_publish_denials_total', 'reason="acl"');
    // MQTT.js as the field notes describe it: a persistent session resends the denied message after each reconnect.
    const client = mqtt.connect(cp.mqttUrl, {
      clientId: 'pest',
      username: 'pest',
      password: secret,
      clean: false,
      reconnectPeriod: 200,
      protocolVersion: 4,
    });
    // Accepted connections, counted from the CONNACKs (MQTT.js may resend before it emits 'connect').
    let connects = 0;
    client.on('packetreceive', (p) => {
      if (p.cmd === 'connack' && p.returnCode === 0) connects++;
    });
    client.on('error', () => undefined);
    client.once('connect', () => client.publish('tether/v1/agents/victim/advert', 'x', { qos: 1 }));
    try {
      await waitFor(
        async () => counter(await metrics(), 'tether_auth_failures_total', 'reason="quarantined"') >= 1,
        'a CONNECT refused by the quarantine',
      );
    } finally {
      client.end(true);
    }
    const text = await metrics();
    const denials = counter(text, 'tether_publish_denials_total', 'reason="acl"') - before;
    expect(denials).toBeGreaterThanOrEqual(2);
    expect(denials).toBeLessThanOrEqual(connects);
    expect(counter(text, 'tether_quarantines_total')).toBe(1);
    const quarantined = await cp.api<AuditPage>('/api/v1/audit?agent=pest&kind=agent-quarantined');
    expect(quarantined.body.entries).toHaveLength(1);
    const denied = await cp.api<AuditPage>('/api/v1/audit?agent=pest&kind=acl-denied');
    expect(denied.body.entries.reduce((n, e) => n + e.count, 0)).toBe(denials);
    expect(denied.body.entries[0]?.detail).toMatchObject({
      action: 'publish',
      topic: 'tether/v1/agents/victim/advert',
    });
  });

  it('limits connection attempts per source address', async () => {
    const limited = await startControlPlane({
      config: { limits: { connectRate: { perSecond: 1, burst: 3 } } },
    });
    const sockets: RawSocket[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await rawSocket(limited.mqttUrl));
    await waitFor(() => sockets.filter((s) => s.isClosed()).length >= 6, 'rate-limited sockets closed');
    for (const s of sockets) s.socket.destroy();
    const text = await (await fetch(`${limited.apiBase}/metrics`)).text();
    expect(counter(text, 'tether_socket_refusals_total', 'rate_limited')).toBeGreaterThanOrEqual(6);
    await limited.proc.stop();
  });

  it('a CONNECT beyond the connects in flight waits for a place; a full waiting room or a long wait refuses it', async () => {
    const busy = await startControlPlane({
      config: { limits: { connectsInFlight: { max: 1, maxWaiting: 1, wait: '1500ms' } } },
    });
    const metric = async (name: string, label?: string) =>
      counter(await (await fetch(`${busy.apiBase}/metrics`)).text(), name, label);
    const busyCount = () => metric('tether_connect_refusals_total', 'busy');
    // A real agent is answered (its agent-routes), which ends its connect: the place is free again.
    const first = await startEdge({ id: 'first', secret: await busy.addAgent('first'), url: busy.mqttUrl });
    await waitFor(
      async () => (await first.api<{ state: string }>('/v1/status')).body.state === 'connected',
      'first agent connected',
    );
    await waitFor(
      async () => (await metric('tether_connects_in_flight')) === 0,
      "the first agent's connect answered",
    );
    // An agent that never sends its advert holds the only place.
    const holder = await connectRaw(busy.mqttUrl, 'holder', await busy.addAgent('holder'));
    expect(holder.ok).toBe(true);
    // The next one waits (no CONNACK yet) and, with the waiting room full, one more is refused at once.
    const late = connectRaw(busy.mqttUrl, 'late', await busy.addAgent('late'));
    await waitFor(async () => (await metric('tether_connects_waiting')) === 1, 'a CONNECT waiting');
    const refused = await connectRaw(busy.mqttUrl, 'later', await busy.addAgent('later'));
    expect(refused).toEqual({ ok: false, error: 'Connection refused: Server unavailable' });
    expect(await busyCount()).toBe(1);
    // A wait that runs out is refused as busy too: the agent retries on its busy backoff.
    expect(await late).toEqual({ ok: false, error: 'Connection refused: Server unavailable' });
    expect(await busyCount()).toBe(2);
    // A real agent waits, and gets in as soon as the holder is gone, without being refused.
    const edge = startEdge({ id: 'patient', secret: await busy.addAgent('patient'), url: busy.mqttUrl });
    await waitFor(async () => (await metric('tether_connects_waiting')) === 1, 'the agent waiting');
    if (holder.ok) holder.client.end(true);
    const patient = await edge;
    await waitFor(
      async () => (await patient.api<{ state: string }>('/v1/status')).body.state === 'connected',
      'patient agent connected',
    );
    expect(await busyCount()).toBe(2);
    await busy.proc.stop();
  });

  it('a CONNECT revoked while it waits for a place is refused when the place frees, and gives the place back', async () => {
    const busy = await startControlPlane({ config: { limits: { connectsInFlight: { max: 1 } } } });
    const metric = async (name: string, label?: string) =>
      counter(await (await fetch(`${busy.apiBase}/metrics`)).text(), name, label);
    const holder = await connectRaw(busy.mqttUrl, 'holder', await busy.addAgent('holder'));
    expect(holder.ok).toBe(true);
    const waiting = connectRaw(busy.mqttUrl, 'doomed', await busy.addAgent('doomed'));
    await waitFor(async () => (await metric('tether_connects_waiting')) === 1, 'a CONNECT waiting');
    expect((await busy.api('/api/v1/agents/doomed', { method: 'DELETE' })).status).toBe(200);
    if (holder.ok) holder.client.end(true);
    expect(await waiting).toEqual({ ok: false, error: 'Connection refused: Not authorized' });
    // Its place is free again at once (not after the in-flight timeout): the next agent gets in.
    const next = await connectRaw(busy.mqttUrl, 'next', await busy.addAgent('next'));
    expect(next.ok).toBe(true);
    expect(await metric('tether_connects_in_flight')).toBe(1);
    if (next.ok) next.client.end(true);
    await busy.proc.stop();
  });

  it('admits connections over all sources at a bounded rate (a reconnect storm)', async () => {
    const limited = await startControlPlane({
      config: {
        limits: {
          connectRate: { perSecond: 1_000, burst: 1_000 },
          admissionRate: { perSecond: 1, burst: 3 },
        },
      },
    });
    const sockets: RawSocket[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await rawSocket(limited.mqttUrl));
    await waitFor(() => sockets.filter((s) => s.isClosed()).length >= 6, 'refused sockets closed');
    for (const s of sockets) s.socket.destroy();
    const text = await (await fetch(`${limited.apiBase}/metrics`)).text();
    expect(counter(text, 'tether_socket_refusals_total', 'admission')).toBeGreaterThanOrEqual(6);
    expect(counter(text, 'tether_socket_refusals_total', 'rate_limited')).toBe(0);
    await limited.proc.stop();
  });
});
