import { refusedBusy, refusedCredentials, refusedCredentialsMessage } from './connect-outcome.js';
import type { TransportLogger } from './mqtt-transport-types.js';
import { describeCertificateError } from './tls/tls-plan.js';

/** Why a connect attempt failed, as far as the reconnect backoff goes. */
export type ConnectErrorKind = 'unauthorized' | 'busy' | 'other';

/**
 * Logs a connection error of agent `clientId` by its cause (refused credentials, a busy hub, a certificate, any
 * other) and returns which kind it was.
 */
export function logConnectError(
  log: TransportLogger,
  clientId: string,
  err: Error & { code?: unknown },
): ConnectErrorKind {
  if (refusedCredentials(err)) {
    log.error({ agentId: clientId, code: err.code }, refusedCredentialsMessage(clientId, err));
    return 'unauthorized';
  }
  if (refusedBusy(err)) {
    log.info?.(
      { code: err.code },
      'control plane busy (admission during a reconnect storm): retrying on the busy backoff',
    );
    return 'busy';
  }
  const certificate = describeCertificateError(err);
  if (certificate) log.error({ code: err.code }, certificate);
  else log.warn({ err: err.message, code: err.code }, 'control plane connection error');
  return 'other';
}

/** A connection is up: the first one, or a reconnect after the link was lost at `lostAt` (epoch ms, if known). */
export interface ConnectedEvent {
  url: string;
  first: boolean;
  lostAt: number | null;
  now: number;
  reconnects: number;
}

/** Logs a connection: "connected" the first time, "reconnected after N s" (to the tenth) after that. */
export function logConnected(log: TransportLogger, event: ConnectedEvent): void {
  const { url, first, lostAt, now, reconnects } = event;
  if (first) {
    log.info?.({ url }, 'connected to the control plane');
    return;
  }
  const downSeconds = lostAt === null ? null : Math.round((now - lostAt) / 100) / 10;
  log.info?.(
    { url, downSeconds, reconnects },
    `reconnected to the control plane after ${downSeconds ?? '?'} s`,
  );
}
