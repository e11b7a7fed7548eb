import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** The control plane's logger type. */
export type { Logger };

/** The log levels `--log-level` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `json`: one JSON object a line; `pretty`: coloured text for people; `auto`: pretty when stderr is a terminal. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * A pino logger writing to STDERR (fd 2): STDOUT is reserved for machine-readable lines. JSON unless a person is
 * watching (stderr is a TTY, or `format` says `pretty`).
 */
export function createLogger(level = 'info', format: LogFormat = 'auto'): Logger {
  // Secret-looking fields are redacted as a second line of defence (no code path logs one).
  const options = {
    level,
    base: { name: 'tether-cp' },
    redact: {
      paths: ['secret', 'password', 'grant', '*.secret', '*.password', '*.grant'],
      censor: '[redacted]',
    },
  };
  const human = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (human)
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true }));
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
