import { ReportStreamSchema, parseRate } from '@tether/shared';
import { ConfigError } from '../errors.js';
import { StreamPrioritySchema, type ConfigFile, type UplinkSettings } from './config-schema.js';
import type { CliFlags, Env } from './config-sources.js';
import type { StreamPriority } from '../reports/stream-priority.js';

/** `alarms=high,metrics=low` (from a flag or TETHER_STREAM_PRIORITY) as a map; `what` names the source in errors. */
export function parseStreamPriorities(
  lists: readonly string[],
  what: string,
): Record<string, StreamPriority> {
  const out: Record<string, StreamPriority> = {};
  for (const item of lists
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = item.indexOf('=');
    const stream = item.slice(0, i).trim();
    const priority = StreamPrioritySchema.safeParse(item.slice(i + 1).trim());
    if (i <= 0 || !ReportStreamSchema.safeParse(stream).success || !priority.success)
      throw new ConfigError(
        `invalid ${what} "${item}": expected stream=priority with priority high, normal or low (e.g. alarms=high,metrics=low)`,
      );
    out[stream] = priority.data;
  }
  return out;
}

/** The uplink settings: the rate cap (flag > env > file) and stream priorities (merged per stream, flag wins). */
export function resolveUplink(flags: CliFlags, env: Env, file: ConfigFile): UplinkSettings {
  const rateText = flags.uplinkMaxRate ?? env.TETHER_UPLINK_MAX_RATE ?? file.uplink?.maxRate;
  let maxRate: number | null = null;
  if (rateText !== undefined && rateText !== '') {
    try {
      maxRate = parseRate(rateText);
    } catch (err) {
      throw new ConfigError(`invalid uplink max rate (--uplink-max-rate): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const fromFile = Object.fromEntries(
    Object.entries(file.streams ?? {}).map(([stream, settings]) => [stream, settings.priority]),
  );
  const streamPriority = {
    ...fromFile,
    ...parseStreamPriorities(
      env.TETHER_STREAM_PRIORITY ? [env.TETHER_STREAM_PRIORITY] : [],
      'TETHER_STREAM_PRIORITY',
    ),
    ...parseStreamPriorities(flags.streamPriority ?? [], '--stream-priority'),
  };
  return { maxRate, streamPriority };
}
