import { Gauge, type Registry } from 'prom-client';
import type { RouteTable } from '@tether/shared';

/** Calls in flight through the tunnels and queued for window credit, and streams open, summed over every agent. */
export interface TunnelFigures {
  outgoing: number;
  incoming: number;
  queued: number;
  streams: number;
}

/** What the gauges read when scraped. */
export interface MetricsSources {
  routes: () => RouteTable;
  /** Agents connected now. */
  connections: () => number;
  /** The tunnels' figures (zero before calls start). */
  tunnels?: () => TunnelFigures;
  /** Service name conflicts now (zero before services start). */
  conflicts?: () => number;
}

/** Registers the gauges read from `sources` at scrape time: connections, conflicts, tunnels and routes. */
export function registerScrapeGauges(registers: Registry[], sources: Partial<MetricsSources>): void {
  new Gauge({
    name: 'tether_connections',
    help: 'Agents currently connected',
    registers,
    collect() {
      this.set(sources.connections?.() ?? 0);
    },
  });
  new Gauge({
    name: 'tether_service_conflicts',
    help: 'Edge instances kept out of selection now: (service, agent) pairs advertising a centrally defined name',
    registers,
    collect() {
      this.set(sources.conflicts?.() ?? 0);
    },
  });
  new Gauge({
    name: 'tether_tunnel_calls',
    help: 'Calls in flight through agent tunnels: outgoing = hub to edge, incoming = edge to hub',
    labelNames: ['direction'],
    registers,
    collect() {
      const t = sources.tunnels?.() ?? { outgoing: 0, incoming: 0, queued: 0, streams: 0 };
      this.set({ direction: 'outgoing' }, t.outgoing);
      this.set({ direction: 'incoming' }, t.incoming);
    },
  });
  new Gauge({
    name: 'tether_tunnel_queue_depth',
    help: 'Calls waiting for tunnel window credit, summed over agents',
    registers,
    collect() {
      this.set(sources.tunnels?.().queued ?? 0);
    },
  });
  new Gauge({
    name: 'tether_routes',
    help: 'Routes in the table, by state',
    labelNames: ['state'],
    registers,
    collect() {
      const table = sources.routes?.();
      this.set({ state: 'active' }, table?.count({ state: 'active' }) ?? 0);
      this.set({ state: 'stale' }, table?.count({ state: 'stale' }) ?? 0);
    },
  });
}
