import { pino, type Logger } from 'pino';

/** The log levels `--log-level` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The slice of a pino logger the agent's parts use, so tests can pass a silent one. */
export type AgentLogger = Pick<Logger, 'error' | 'warn' | 'info' | 'debug' | 'child'>;

/**
 * A pino logger writing JSON lines synchronously to STDERR (fd 2), never STDOUT, without worker transports so it
 * also works bundled. Secret-looking fields are redacted as a second line of defence.
 */
export function createLogger(level: LogLevel = 'info', fd = 2): Logger {
  return pino(
    {
      level,
      base: { name: 'tether-agent' },
      redact: { paths: ['secret', 'password', '*.secret', '*.password'], censor: '[redacted]' },
    },
    pino.destination({ fd, sync: true }),
  );
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
