import {
  credentialsTopic,
  encode,
  PROTOCOL_VERSION,
  type CredentialAck,
  type CredentialRotate,
  type PublishOptions,
} from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';
import { rotatedCredential, writeCredential, type Credential } from './credential-file.js';

/** What the keeper needs of the MQTT link. */
export interface CredentialLink {
  setPassword(password: string): void;
  publish(topic: string, payload: string, options?: PublishOptions): Promise<void>;
}

/** Options of a CredentialKeeper. */
export interface CredentialKeeperOptions {
  stateDir: string;
  /** The credential the agent runs with. */
  credential: Credential;
  link: CredentialLink;
  logger: AgentLogger;
}

/**
 * Takes rotated secrets from the hub without dropping the connection: writes the new credential atomically
 * (0600), makes the link use it for every later connect, then acknowledges so the hub retires the old one.
 * Rotations are applied one at a time; a repeated one is only acknowledged again. Secrets are never logged.
 */
export class CredentialKeeper {
  readonly #opts: CredentialKeeperOptions;
  #current: Credential;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: CredentialKeeperOptions) {
    this.#opts = options;
    this.#current = options.credential;
  }

  /** The credential in use now. */
  get credential(): Credential {
    return this.#current;
  }

  /** Handles a `credential-rotate` from the inbox. */
  rotate(message: CredentialRotate): Promise<void> {
    this.#queue = this.#queue.then(() => this.#apply(message));
    return this.#queue;
  }

  async #apply(message: CredentialRotate): Promise<void> {
    const { logger, link, stateDir } = this.#opts;
    if (message.secret !== this.#current.secret) {
      const next = rotatedCredential(this.#current, message.secret);
      try {
        await writeCredential(stateDir, next);
      } catch (err) {
        // Not stored, not acknowledged: the hub keeps both secrets and sends this one again after a reconnect.
        logger.error(
          { err: (err as Error).message, rotation: message.rotation },
          'could not store the rotated credential',
        );
        return;
      }
      this.#current = next;
      link.setPassword(next.secret);
      logger.info({ rotation: message.rotation }, 'credential rotated and stored');
    }
    const ack: CredentialAck = { v: PROTOCOL_VERSION, type: 'credential-ack', rotation: message.rotation };
    try {
      await link.publish(credentialsTopic(this.#current.id), encode(ack), { qos: 1 });
    } catch (err) {
      // The next connect presents the new secret, which confirms the rotation just as well.
      logger.debug({ err: (err as Error).message }, 'credential acknowledgement not sent');
    }
  }
}
