/**
 * The sync messages the simulator's agents (sim-agents.ts) send, as the real agent builds them, and what each agent
 * remembers of its hub across connections so that it can resume as the real agent does.
 */
import { encode, PROTOCOL_VERSION, RESUME_PROTOCOL_VERSION, routesDigest, type Route } from '@tether/shared';

/** An agent's sync position: its epoch, the protocol the hub offered, the hub's epoch and seq. */
interface Position {
  epoch: string;
  protocol: number;
  central?: { epoch: string; seq: number };
}

/** The messages of one worker's agents, and their positions (per agent, across its connections). */
export class AgentMessages {
  /** Advertise the routes in the first snapshot (bench:scale) instead of a later delta. */
  withRoutes = false;
  /** Routes each agent advertises. */
  services = 10;
  #epochs = 0;
  readonly #positions = new Map<string, Position>();

  /** Every route the agent advertises once registered (`services` of them). */
  routes(id: string): Route[] {
    return Array.from({ length: this.services }, (_, i) => route(id, i));
  }

  /** An `advert-snapshot` in a new epoch (remembered for a later resume). */
  snapshot(id: string): string {
    const epoch = this.withRoutes ? `sim-${++this.#epochs}` : 'sim';
    this.#positions.set(id, { epoch, protocol: this.#positions.get(id)?.protocol ?? 1 });
    const routes = this.#advertised(id);
    return encode({
      v: PROTOCOL_VERSION,
      type: 'advert-snapshot',
      epoch,
      seq: 0,
      strategy: 'local',
      site: 'sim',
      labels: {},
      routes,
    });
  }

  /** An `advert-resume` when the hub offered protocol 3 and the agent has an epoch, as the real agent does. */
  resume(id: string): string | undefined {
    const p = this.#positions.get(id);
    if (!p || p.protocol < RESUME_PROTOCOL_VERSION || !p.central) return undefined;
    const routes = this.#advertised(id);
    return encode({
      v: PROTOCOL_VERSION,
      type: 'advert-resume',
      epoch: p.epoch,
      seq: 0,
      digest: routesDigest(routes),
      count: routes.length,
      strategy: 'local',
      site: 'sim',
      labels: {},
      central: { ...p.central, digest: routesDigest([]), count: 0 },
    });
  }

  /** An `advert-delta` (epoch `sim`, seq 1) adding `upserts`. */
  delta(upserts: Route[]): string {
    return encode({ v: PROTOCOL_VERSION, type: 'advert-delta', epoch: 'sim', seq: 1, upserts, removes: [] });
  }

  /** The agent's retained `agent-status`: online, now. */
  status(id: string): string {
    return encode({
      v: PROTOCOL_VERSION,
      type: 'agent-status',
      agentId: id,
      status: 'online',
      strategy: 'local',
      site: 'sim',
      labels: {},
      at: Date.now(),
    });
  }

  /** Remembers an `agent-routes` from the hub: the protocol it offered, its epoch and seq (for a resume). */
  heard(id: string, protocol: number, central: { epoch: string; seq: number }): void {
    const p = this.#positions.get(id);
    if (p) {
      p.protocol = protocol;
      p.central = central;
    }
  }

  #advertised(id: string): Route[] {
    return this.withRoutes ? this.routes(id) : [];
  }
}

/** The `i`th route of agent `id`. */
function route(id: string, i: number): Route {
  return {
    service: `svc-${i}`,
    address: `http://10.0.${i}.1:8080/${id}`,
    origin: id,
    originKind: 'local',
    site: 'sim',
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
  };
}
