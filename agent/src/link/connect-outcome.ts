import type { MqttClient } from 'mqtt';
import { TimeoutError, UnauthorizedError, type Clock } from '@tether/shared';

/** CONNACK return codes 4 (bad user name or password) and 5 (not authorized). */
const CONNACK_REFUSED_CREDENTIALS = new Set([4, 5]);

/** True when a connect attempt failed because the broker refused the credentials. */
export function refusedCredentials(err: Error & { code?: unknown }): boolean {
  return typeof err.code === 'number' && CONNACK_REFUSED_CREDENTIALS.has(err.code);
}

/** CONNACK return code 3 (server unavailable): the control plane is busy (admission) or holds the agent back. */
const CONNACK_SERVER_UNAVAILABLE = 3;

/** True when the broker refused a connect for now (busy or quarantine): retry on the busy backoff. */
export function refusedBusy(err: Error & { code?: unknown }): boolean {
  return err.code === CONNACK_SERVER_UNAVAILABLE;
}

/** What is logged (and thrown) when the control plane refuses agent `clientId`'s credentials. */
export function refusedCredentialsMessage(clientId: string, err: Error): string {
  return `control plane refused the credentials of agent ${clientId} (revoked, unknown or a wrong secret): ${err.message}`;
}

/** What `waitForFirstConnect` needs besides the client. */
export interface FirstConnectOptions {
  clock: Clock;
  clientId: string;
  /** Named in the timeout's message. */
  url: string;
  timeoutMs: number;
}

/**
 * Resolves at the client's next connect. Rejects with an UnauthorizedError when the broker refuses the
 * credentials, or a TimeoutError after `timeoutMs`; other errors do not end the wait (the transport retries).
 */
export function waitForFirstConnect(client: MqttClient, options: FirstConnectOptions): Promise<void> {
  const { clock, clientId, url, timeoutMs } = options;
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clock.clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error & { code?: unknown }): void => {
      if (!refusedCredentials(err)) return;
      cleanup();
      reject(new UnauthorizedError(refusedCredentialsMessage(clientId, err)));
    };
    const timer = clock.setTimeout(() => {
      cleanup();
      reject(new TimeoutError(`no connection to ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}
