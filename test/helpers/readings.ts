import { postReports } from './reports.js';

/**
 * Sensor readings as a data-reporting edge posts them: ~170 bytes of JSON each, values that vary (a seeded
 * generator, so every run posts the same bytes), keys and names that repeat, as real telemetry does.
 */
export function readings(count: number, from = 0, seed = 7): Array<Record<string, unknown>> {
  let s = seed + from * 7919;
  const next = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      sensor: `pump-${(i % 40) + 1}`,
      site: 'north-field',
      n: i,
      at: new Date(1_767_225_600_000 + i * 1000).toISOString(),
      temperature: Number((18 + next() * 10).toFixed(2)),
      pressure: Number((990 + next() * 40).toFixed(1)),
      vibration: [next(), next(), next()].map((v) => Number(v.toFixed(3))),
      status: next() < 0.95 ? 'ok' : 'warn',
    };
  });
}

/** Posts `count` readings (from reading `from`) to an agent's report API, 1,000 a request; throws unless 202. */
export async function postReadings(apiBase: string, stream: string, count: number, from = 0): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const res = await postReports(apiBase, stream, readings(Math.min(1000, count - i), from + i));
    if (res.status !== 202) throw new Error(`POST ${stream}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
