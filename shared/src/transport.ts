/** Delivery options of one publish. */
export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

/** Receives one message: its topic and raw payload. */
export type MessageHandler = (topic: string, payload: Uint8Array) => void;

/**
 * A publish/subscribe link to the broker. The agent injects an MQTT.js adapter; the control plane an adapter
 * over its embedded aedes instance. Code above it never touches a socket.
 */
export interface Transport {
  /** Publishes one message; resolves once the broker took it (QoS 1) or it was written (QoS 0). */
  publish(topic: string, payload: Uint8Array | string, options?: PublishOptions): Promise<void>;
  /**
   * Publishes `parts` (`size` bytes in all) as one QoS 0 message's payload, written in order without joining them
   * first; resolves once written. Undefined when this transport cannot now (the caller joins them and publishes).
   */
  publishParts?(topic: string, parts: readonly Uint8Array[], size: number): Promise<void> | undefined;
  /** Subscribes to a topic filter; resolves with a function that unsubscribes. */
  subscribe(filter: string, handler: MessageHandler, options?: { qos?: 0 | 1 }): Promise<() => Promise<void>>;
  /** Releases the link; pending work is dropped. */
  close(): Promise<void>;
}

/** A Transport that also tells when its link comes and goes (the agent's MqttTransport is one). */
export interface LinkTransport extends Transport {
  readonly connected: boolean;
  onConnect(listener: () => void): () => void;
  onDisconnect(listener: (error: string | null) => void): () => void;
}
