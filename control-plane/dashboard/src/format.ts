/** `3 s ago`, `5 min ago`… from an epoch-ms or ISO time (`—` when null). */
export function ago(time: number | string | null | undefined, now = Date.now()): string {
  if (time === null || time === undefined) return '—';
  const t = typeof time === 'number' ? time : Date.parse(time);
  if (Number.isNaN(t)) return '—';
  return `${duration(Math.max(0, now - t))} ago`;
}

/** A duration in ms as `850 ms`, `12 s`, `4 min`, `3 h`, `2 d`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** A rate such as `12.5/s`. */
export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return `${n >= 100 ? Math.round(n) : n.toFixed(n >= 10 ? 1 : 2).replace(/\.?0+$/, '')}/s`;
}

/** Bytes as `1.2 MiB`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** An agent's report backlog: `drains in 26 s at 7.8 KiB/s`; empty without a backlog or a measured rate. */
export function drain(outbox: {
  bytes: number;
  drainEstimateMs?: number | null;
  uplinkBytesPerSecond?: number | null;
}): string {
  if (outbox.bytes === 0 || outbox.drainEstimateMs === undefined || outbox.drainEstimateMs === null)
    return '';
  const rate = outbox.uplinkBytesPerSecond ? ` at ${bytes(outbox.uplinkBytesPerSecond)}/s` : '';
  return `drains in ${duration(outbox.drainEstimateMs)}${rate}`;
}

/** Labels as `k=v, k=v`. */
export function labels(l: Record<string, string> | undefined): string {
  const entries = Object.entries(l ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : '—';
}

/** A moment as `2026-12-05 01:20 UTC` (the same on every screen), `—` when null. */
export function when(time: number | string | null | undefined): string {
  if (time === null || time === undefined) return '—';
  const t = new Date(time);
  if (Number.isNaN(t.getTime())) return '—';
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
