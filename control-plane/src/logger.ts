import { pino, type Logger } from 'pino';

/** The control plane's logger type. */
export type { Logger };

/**
 * A pino logger writing JSON to STDERR (fd 2): STDOUT is reserved for machine-readable lines. Secret-looking
 * fields are redacted as a second line of defence (no code path logs one).
 */
export function createLogger(level = 'info'): Logger {
  return pino(
    {
      level,
      base: { name: 'tether-cp' },
      redact: {
        paths: ['secret', 'password', 'grant', '*.secret', '*.password', '*.grant'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
