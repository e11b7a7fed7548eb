import { Gauge, type Registry } from 'prom-client';
import { totalCounter } from '../observability/prom-metrics.js';
import type { UplinkStatus } from './uplink-status.js';

/** The report uplink's gauges and counters (rates, backlog and drain time as of the scrape; 0 until measured). */
export function registerUplinkMetrics(registry: Registry, uplink: () => UplinkStatus): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (u: UplinkStatus) => number | null): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(uplink()) ?? 0);
      },
    });
  };
  gauge(
    'tether_agent_uplink_rate_bytes_per_second',
    'Measured delivery rate of report bytes on the wire (after compression)',
    (u) => u.rateBytesPerSecond,
  );
  gauge(
    'tether_agent_uplink_rtt_seconds',
    'Measured round trip of a report batch beyond its transmission',
    (u) => (u.rttMs === null ? null : u.rttMs / 1000),
  );
  gauge(
    'tether_agent_report_in_flight_bytes',
    'Report bytes sent and not yet acknowledged',
    (u) => u.inFlightBytes,
  );
  gauge(
    'tether_agent_report_backlog_bytes',
    'The outbox as the bytes it would take on the wire (estimated from recent batches)',
    (u) => u.backlogBytes,
  );
  gauge(
    'tether_agent_report_drain_seconds',
    'Estimated time to send the backlog at the measured rate',
    (u) => (u.drainEstimateMs === null ? null : u.drainEstimateMs / 1000),
  );
  totalCounter(
    registry,
    'tether_agent_report_bytes_sent_total',
    'Report bytes published, resends included',
    [],
    () => [[{}, uplink().bytesSent]],
  );
  totalCounter(registry, 'tether_agent_report_bytes_resent_total', 'Report bytes published again', [], () => [
    [{}, uplink().bytesResent],
  ]);
}
