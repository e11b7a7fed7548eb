import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Latency buckets of calls and HTTP requests, in seconds (1 ms to 30 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Calls through the network and requests to the HTTP API: counts, durations, in flight. */
export interface CallMetrics {
  /** Finished calls through the network, by service, caller kind and HTTP status. */
  readonly calls: Counter<'service' | 'caller' | 'status'>;
  /** Call durations (to the end of the response body), by service and HTTP status. */
  readonly callDuration: Histogram<'service' | 'status'>;
  /** Calls in flight, by service. */
  readonly callsInFlight: Gauge<'service'>;
  /** HTTP API requests, by method, route pattern and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** HTTP API request durations, by method and route pattern. */
  readonly httpDuration: Histogram<'method' | 'route'>;
}

/** Registers the call and HTTP metrics. */
export function callMetrics(registers: Registry[]): CallMetrics {
  return {
    calls: new Counter({
      name: 'tether_calls_total',
      help: 'Finished calls through the network, by service, caller kind (central/edge) and HTTP status',
      labelNames: ['service', 'caller', 'status'],
      registers,
    }),
    callDuration: new Histogram({
      name: 'tether_call_duration_seconds',
      help: 'Call durations to the end of the response body, by service and HTTP status',
      labelNames: ['service', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    callsInFlight: new Gauge({
      name: 'tether_calls_in_flight',
      help: 'Calls in flight, by service',
      labelNames: ['service'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'tether_http_requests_total',
      help: 'HTTP API requests, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'tether_http_request_duration_seconds',
      help: 'HTTP API request durations, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}
