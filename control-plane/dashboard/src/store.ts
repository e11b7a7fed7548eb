import { computed, signal } from '@preact/signals';
import { api, openSocket } from './api.js';
import type {
  AgentView,
  ControlPlaneEvent,
  KeyedRoute,
  ServicePolicy,
  StatsEvent,
  StreamView,
  TimedEvent,
} from './types.js';
import { agentState as stateOf, type AgentState } from '../../src/api/agent-state.js';

/** Every agent by id, kept current by the event stream. */
export const agents = signal<ReadonlyMap<string, AgentView>>(new Map());
/** Every route by key, kept current by the event stream. */
export const routes = signal<ReadonlyMap<string, KeyedRoute>>(new Map());
/** Report streams by `agent\nstream`, moved by the stats event. */
export const streams = signal<ReadonlyMap<string, StreamView>>(new Map());
/** The latest `stats` event. */
export const stats = signal<StatsEvent | null>(null);
/** The last few minutes of stats, oldest first (for the sparklines). */
export const statsHistory = signal<readonly StatsEvent[]>([]);
/** Policies changed since the page loaded, by service. */
export const policyChanges = signal<ReadonlyMap<string, { policy: ServicePolicy; policySource: string }>>(
  new Map(),
);
/** The latest events (newest first), stats excluded. */
export const recentEvents = signal<ReadonlyArray<{ at: number; event: ControlPlaneEvent }>>([]);
/** The state of the event stream. */
export const live = signal<'connecting' | 'open' | 'closed'>('connecting');
/** Bumped on every event that can change the topology (its page refetches, debounced). */
export const topologyVersion = signal(0);

const HISTORY = 90;
const RECENT = 100;
/** The preloaded recent events, while the events that arrived during the load are applied (else null). */
let preloaded: Set<string> | null = null;
const listeners = new Set<(e: ControlPlaneEvent) => void>();

/** Listens to every event of the stream; returns the function that stops it. */
export function onEvent(listener: (e: ControlPlaneEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Origins that have stale routes (one pass over the routes, recomputed when they change). */
const staleOrigins = computed(() => {
  const origins = new Set<string>();
  for (const r of routes.value.values()) if (r.state === 'stale') origins.add(r.origin);
  return origins;
});

/** An agent's state from the live maps: revoked, online, stale (offline, routes kept) or offline. */
export function agentState(a: AgentView): AgentState {
  return stateOf({ ...a, staleRoutes: staleOrigins.value.has(a.id) ? 1 : 0 });
}

/** Agents by state, computed from the live maps. */
export const agentCounts = computed(() => {
  const counts: Record<AgentState, number> = { online: 0, stale: 0, offline: 0, revoked: 0 };
  for (const a of agents.value.values()) counts[agentState(a)]++;
  return counts;
});

const streamKey = (s: { agent: string; stream: string }): string => `${s.agent}\n${s.stream}`;

function setIn<K, V>(map: ReadonlyMap<K, V>, key: K, value: V | undefined): Map<K, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

async function refreshAgent(id: string): Promise<void> {
  try {
    const agent = await api<AgentView>(`/api/v1/agents/${encodeURIComponent(id)}`);
    agents.value = setIn(agents.value, id, agent);
  } catch {
    // Gone or not allowed: the next snapshot tells.
  }
}

function apply(event: ControlPlaneEvent): void {
  switch (event.type) {
    case 'route-created':
    case 'route-updated':
      routes.value = setIn(routes.value, event.route.key, event.route);
      topologyVersion.value++;
      break;
    case 'route-deleted':
      routes.value = setIn(routes.value, event.route.key, undefined);
      topologyVersion.value++;
      break;
    case 'agent-online':
    case 'agent-offline': {
      const agent = agents.value.get(event.agentId);
      const status = event.type === 'agent-online' ? 'online' : 'offline';
      if (agent)
        agents.value = setIn(agents.value, agent.id, {
          ...agent,
          status,
          lastSeen: new Date().toISOString(),
        });
      else void refreshAgent(event.agentId);
      topologyVersion.value++;
      break;
    }
    case 'agent-updated':
      agents.value = setIn(agents.value, event.agent.id, event.agent);
      topologyVersion.value++;
      break;
    case 'policy-updated':
      policyChanges.value = setIn(policyChanges.value, event.service, {
        policy: event.policy,
        policySource: event.policySource,
      });
      break;
    case 'stats':
      applyStats(event);
      return;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
  if (preloaded?.has(JSON.stringify(event))) return;
  recentEvents.value = [{ at: Date.now(), event }, ...recentEvents.value].slice(0, RECENT);
}

function applyStats(event: StatsEvent): void {
  stats.value = event;
  statsHistory.value = [...statsHistory.value, event].slice(-HISTORY);
  if (event.streams.length === 0) return;
  const next = new Map(streams.value);
  for (const tick of event.streams) {
    const key = streamKey(tick);
    const prev = next.get(key);
    next.set(key, {
      agent: tick.agent,
      stream: tick.stream,
      count: (prev?.count ?? 0) + tick.count,
      bytes: (prev?.bytes ?? 0) + tick.bytes,
      lastSeq: Math.max(prev?.lastSeq ?? 0, tick.lastSeq),
      lastAt: tick.lastAt,
      lastReceivedAt: tick.lastReceivedAt,
      lagMs: tick.lagMs,
      idleMs: Math.max(0, event.at - tick.lastReceivedAt),
    });
  }
  streams.value = next;
}

/** Every item of a paged listing, a page (1,000) at a time, following nextCursor: the server never serialises the whole. */
async function allPages<T>(path: string, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const at: string = `${path}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Record<string, unknown> = await api<Record<string, unknown>>(at);
    items.push(...(page[key] as T[]));
    cursor = page.nextCursor as string | null;
  } while (cursor);
  return items;
}

/** Loads the snapshots the events then keep current. */
async function loadSnapshots(): Promise<void> {
  const [agentList, routeList, s, e] = await Promise.all([
    allPages<AgentView>('/api/v1/agents', 'agents'),
    allPages<KeyedRoute>('/api/v1/routes', 'routes'),
    api<{ streams: StreamView[] }>('/api/v1/streams'),
    // Only a nicety: a server without it (an older replica) still gives the live maps.
    api<{ events: TimedEvent[] }>('/api/v1/events/recent').catch(() => ({ events: [] as TimedEvent[] })),
  ]);
  // The server's recent events (also those missed while the stream was down); events that arrive during the
  // load may already be in it: they are not listed twice.
  recentEvents.value = e.events.slice(0, RECENT);
  preloaded = new Set(e.events.map((x) => JSON.stringify(x.event)));
  agents.value = new Map(agentList.map((x) => [x.id, x]));
  routes.value = new Map(routeList.map((x) => [x.key, x]));
  streams.value = new Map(s.streams.map((x) => [streamKey(x), x]));
  topologyVersion.value++;
}

let started = false;
let retryMs = 500;

/**
 * Connects the event stream, then loads the snapshots (events arriving meanwhile are applied after, in order).
 * When the stream drops it reconnects with backoff and reloads the snapshots: events missed while it was down
 * are not replayed by the server.
 */
export function startLive(): void {
  if (started) return;
  started = true;
  connect();
}

function connect(): void {
  live.value = 'connecting';
  const ws = openSocket('/api/v1/events');
  let buffered: ControlPlaneEvent[] | null = [];
  ws.onmessage = (msg) => {
    let event: ControlPlaneEvent;
    try {
      event = JSON.parse(String(msg.data)) as ControlPlaneEvent;
    } catch {
      return;
    }
    if (buffered) buffered.push(event);
    else dispatch(event);
  };
  ws.onopen = () => {
    live.value = 'open';
    retryMs = 500;
    loadSnapshots()
      .catch(() => undefined)
      .finally(() => {
        const queue = buffered ?? [];
        buffered = null;
        for (const e of queue) dispatch(e);
        preloaded = null;
      });
  };
  ws.onclose = () => {
    live.value = 'closed';
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };
}

function dispatch(event: ControlPlaneEvent): void {
  apply(event);
  for (const listener of listeners) listener(event);
}
