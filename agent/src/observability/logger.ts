import { pino, type Logger, type LoggerOptions } from 'pino';

/** The log levels `--log-level` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The formats `--log-format` accepts: `auto` is pretty when stderr is a terminal, else JSON. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
/** A log format. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The slice of a pino logger the agent's parts use, so tests can pass a silent one. */
export type AgentLogger = Pick<Logger, 'error' | 'warn' | 'info' | 'debug' | 'child'>;

/**
 * A pino logger writing synchronously to STDERR (fd 2), never STDOUT, without worker transports so it also works
 * bundled: JSON lines, or coloured text when a person is watching (stderr is a TTY, or `format` is `pretty`; only
 * then is pino-pretty loaded). Secret-looking fields are redacted as a second line of defence.
 */
export async function createLogger(
  level: LogLevel = 'info',
  fd = 2,
  format: LogFormat = 'auto',
): Promise<Logger> {
  const options: LoggerOptions = {
    level,
    base: { name: 'tether-agent' },
    redact: { paths: ['secret', 'password', '*.secret', '*.password'], censor: '[redacted]' },
  };
  const tty = fd === 2 ? process.stderr.isTTY === true : false;
  if (format === 'pretty' || (format === 'auto' && tty)) {
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ destination: fd, sync: true, colorize: tty }));
  }
  return pino(options, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
