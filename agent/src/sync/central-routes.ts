import {
  CENTRAL,
  routesDigest,
  type AgentRoutes,
  type Route,
  type RouteKey,
  type RouteTable,
  type SyncPosition,
} from '@tether/shared';

/** The outcome of applying an `agent-routes` message: applied (and whether the table changed) or out of sync. */
export type CentralApplyResult =
  { ok: true; changed: boolean; ignored: number } | { ok: false; reason: string };

/**
 * The central routes the hub sends this agent, kept in the shared table under origin `central`. A full message
 * replaces them all (stale cached ones included); a delta applies only in the same epoch with seq = last + 1.
 */
export class CentralRoutes {
  readonly #table: RouteTable;
  #epoch: string | undefined;
  #seq = 0;

  constructor(table: RouteTable) {
    this.#table = table;
  }

  /** The hub's epoch and last applied seq, once a full message arrived. */
  get position(): { epoch: string; seq: number } | undefined {
    return this.#epoch === undefined ? undefined : { epoch: this.#epoch, seq: this.#seq };
  }

  /** The position, with the digest and count of the central routes held, once a full message arrived. */
  syncPosition(): SyncPosition | undefined {
    if (this.#epoch === undefined) return undefined;
    const routes = this.#table.list({ origin: CENTRAL });
    return { epoch: this.#epoch, seq: this.#seq, digest: routesDigest(routes), count: routes.length };
  }

  /** Forgets the hub's epoch (after a disconnect the hub starts over with a full message). */
  reset(): void {
    this.#epoch = undefined;
    this.#seq = 0;
  }

  /** Applies one `agent-routes` message. Routes not originated by the hub are ignored and counted. */
  apply(message: AgentRoutes): CentralApplyResult {
    if (message.full) {
      const { routes, ignored } = normalize(message.upserts);
      const events = this.#table.replaceOrigin(CENTRAL, routes);
      this.#epoch = message.epoch;
      this.#seq = message.seq;
      return { ok: true, changed: events.length > 0, ignored };
    }
    if (this.#epoch === undefined) return { ok: false, reason: 'delta before any full agent-routes' };
    if (message.epoch !== this.#epoch) return { ok: false, reason: `unknown epoch ${message.epoch}` };
    if (message.seq <= this.#seq) return { ok: true, changed: false, ignored: 0 }; // a redelivered, applied delta
    if (message.seq !== this.#seq + 1)
      return { ok: false, reason: `gap: expected seq ${this.#seq + 1}, got ${message.seq}` };
    const { routes, ignored } = normalize(message.upserts);
    const removes = message.removes.filter((key: RouteKey) => this.#table.get(key)?.origin === CENTRAL);
    const events = this.#table.apply(routes, removes);
    this.#seq = message.seq;
    return {
      ok: true,
      changed: events.length > 0,
      ignored: ignored + message.removes.length - removes.length,
    };
  }
}

function normalize(upserts: readonly Route[]): { routes: Route[]; ignored: number } {
  const routes: Route[] = [];
  for (const r of upserts) {
    if (r.origin !== CENTRAL) continue;
    const { staleSince: _stale, ...rest } = r;
    routes.push({ ...rest, originKind: 'central', state: 'active' });
  }
  return { routes, ignored: upserts.length - routes.length };
}
