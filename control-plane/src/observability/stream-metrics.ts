import { Counter, Gauge, type Registry } from 'prom-client';
import { RunningCounter } from './running-counter.js';

/** The metrics of byte streams through agent tunnels (TCP connections, upgraded HTTP connections). */
export class StreamMetrics {
  /** Stream bytes through the tunnels: `to_agent` (sent by the hub) or `from_agent`. */
  readonly bytes: RunningCounter<'direction'>;
  /** Stream opens refused, by error code (counted once, by the process that refused or first saw it). */
  readonly refused: Counter<'reason'>;

  /** `open`: streams open now, over every agent's tunnel. */
  constructor(registers: Registry[], open: () => number) {
    new Gauge({
      name: 'tether_tunnel_streams',
      help: 'Byte streams open through agent tunnels now (TCP connections and upgraded HTTP connections)',
      registers,
      collect() {
        this.set(open());
      },
    });
    this.bytes = new RunningCounter(registers, {
      name: 'tether_tunnel_stream_bytes_total',
      help: 'Stream bytes through agent tunnels: to_agent (sent by the hub), from_agent (received)',
      labelNames: ['direction'],
    });
    this.refused = new Counter({
      name: 'tether_tunnel_stream_opens_refused_total',
      help: 'Stream opens refused (no route, forbidden, too many streams, refused by the service...), by error code',
      labelNames: ['reason'],
      registers,
    });
  }
}
