import { pino, type Logger } from 'pino';

/** The control plane's logger type. */
export type { Logger };

/** A pino logger writing JSON to STDERR (fd 2): STDOUT is reserved for machine-readable lines. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { name: 'tether-cp' } }, pino.destination({ fd: 2, sync: true }));
}
