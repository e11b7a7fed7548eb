import type { BackoffOptions, Clock } from '@tether/shared';
import type { TlsPlan } from './tls/tls-plan.js';

/** Where an MqttTransport's link stands. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'closed';

/** A Last Will: published by the broker when the link dies without a clean DISCONNECT. */
export interface WillMessage {
  topic: string;
  payload: string;
  qos?: 0 | 1;
  retain?: boolean;
}

/** The minimal logger the transport reports through (pino fits). */
export interface TransportLogger {
  /** Connected, reconnected and disconnected are logged at info level when the logger has it. */
  info?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Options of an MqttTransport. `will` may be a function, re-evaluated before every attempt (fresh timestamps). */
export interface MqttTransportOptions {
  url: string;
  /** Every control-plane URL (replicas, `url` among them): attempts go round them (docs/cluster.md). */
  urls?: string[];
  clientId: string;
  username?: string;
  password?: string;
  will?: WillMessage | (() => WillMessage);
  clock?: Clock;
  random?: () => number;
  /** Backoff after a lost link (default 500 ms .. 30 s). */
  backoff?: BackoffOptions;
  /** Backoff after refused credentials (default 10 s .. 5 min). */
  authBackoff?: BackoffOptions;
  keepalive?: number;
  logger?: TransportLogger;
  /** Verification of `mqtts://` and `wss://` connections (default: the system CAs). */
  tls?: TlsPlan;
}

/** A snapshot of the link's health for status pages. */
export interface ConnectionStats {
  state: ConnectionState;
  connectedSince: number | null;
  lastError: string | null;
  reconnects: number;
  /**
   * MQTT publishes and their payload bytes since the start: `in` received, `out` sent; `socketBytesOut`: every
   * byte written to the connections' sockets (framing, control and keepalive packets included; TCP and TLS only).
   */
  traffic: {
    messagesIn: number;
    messagesOut: number;
    bytesIn: number;
    bytesOut: number;
    socketBytesOut: number;
  };
}
