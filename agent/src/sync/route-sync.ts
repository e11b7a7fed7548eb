import {
  inboxTopic,
  type AgentRoutes,
  type CredentialRotate,
  type ErrorMessage,
  type ResyncRequest,
  type LinkTransport,
  type UpgradeChunk,
  type UpgradeOffer,
} from '@tether/shared';
import type { Advertiser } from './advertiser.js';
import type { CentralRoutes } from './central-routes.js';
import { handleInbox } from './inbox.js';
import type { AgentLogger } from '../observability/logger.js';
import type { RouteCache } from './route-cache.js';

/** Options of a RouteSync. */
export interface RouteSyncOptions {
  id: string;
  transport: LinkTransport;
  advertiser: Advertiser;
  central: CentralRoutes;
  cache?: RouteCache;
  logger: AgentLogger;
  /** A rotated secret arrived on the inbox (the agent's credential keeper stores and confirms it). */
  onCredentialRotate?: (message: CredentialRotate) => void;
  /** Upgrade offers and chunks from the inbox (the agent's UpgradeReceiver). */
  upgrades?: { offer(message: UpgradeOffer): void; chunk(message: UpgradeChunk): void };
}

/**
 * Both halves of route sync for one agent: the inbox subscription (subscribed before anything is published on
 * each connect), the hub's `agent-routes` into the table (and cache), resync requests either way, and the
 * advertiser driven by connection events and table changes.
 */
export class RouteSync {
  readonly #opts: RouteSyncOptions;
  readonly #cleanup: Array<() => unknown> = [];

  constructor(options: RouteSyncOptions) {
    this.#opts = options;
  }

  /** Subscribes to the inbox (kept across reconnects by the transport) and starts following the link. */
  async start(): Promise<void> {
    const { transport, advertiser } = this.#opts;
    const unsubscribe = await transport.subscribe(
      inboxTopic(this.#opts.id),
      (_topic, payload) => this.#onInbox(payload),
      { qos: 1 },
    );
    this.#cleanup.push(unsubscribe);
    this.#cleanup.push(transport.onConnect(() => advertiser.connected()));
    this.#cleanup.push(
      transport.onDisconnect((error) => {
        this.#opts.logger.warn({ err: error }, 'disconnected from the control plane');
        advertiser.disconnected();
      }),
    );
    if (transport.connected) advertiser.connected();
  }

  /** The agent's own routes changed: advertise the difference. */
  localChanged(): void {
    this.#opts.advertiser.changed();
  }

  /** Stops following the link (the transport itself is closed by its owner). */
  stop(): void {
    this.#opts.advertiser.disconnected();
    for (const fn of this.#cleanup.splice(0)) void fn();
  }

  #onInbox(payload: Uint8Array): void {
    try {
      handleInbox(payload, {
        agentRoutes: (m) => this.#onAgentRoutes(m),
        resyncRequest: (m) => this.#onResyncRequest(m),
        error: (m) => this.#onError(m),
        credentialRotate: (m) => this.#opts.onCredentialRotate?.(m),
        upgradeOffer: (m) => this.#opts.upgrades?.offer(m),
        upgradeChunk: (m) => this.#opts.upgrades?.chunk(m),
        invalid: (reason) => this.#opts.logger.warn({ reason }, 'invalid inbox message ignored'),
      });
    } catch (err) {
      this.#opts.logger.error({ err: (err as Error).message }, 'inbox message handling failed');
    }
  }

  #onAgentRoutes(message: AgentRoutes): void {
    this.#opts.advertiser.hubAnswered(message.protocol);
    const result = this.#opts.central.apply(message);
    if (!result.ok) {
      this.#opts.logger.info({ reason: result.reason }, 'central routes out of sync: resync requested');
      this.#opts.advertiser.requestResync(result.reason);
      return;
    }
    if (result.ignored > 0)
      this.#opts.logger.warn({ ignored: result.ignored }, 'ignored routes not originated by the hub');
    if (!result.changed) return;
    this.#opts.cache?.schedule();
    this.#opts.advertiser.changed(); // `best` and `all` depend on central routes
  }

  #onResyncRequest(message: ResyncRequest): void {
    this.#opts.logger.info({ reason: message.reason }, 'hub requested a resync: sending a snapshot');
    this.#opts.advertiser.snapshot();
  }

  #onError(message: ErrorMessage): void {
    this.#opts.logger.warn(
      { code: message.code, message: message.message },
      'control plane reported an error',
    );
    this.#opts.advertiser.hubErred(message.code);
  }
}
