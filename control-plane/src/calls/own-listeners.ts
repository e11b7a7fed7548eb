/** Host names that reach this machine whatever address a listener is bound to. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::']);

/**
 * The TCP ports this control plane listens on for services (its listeners), so that a stream is never dialed back
 * into one of them: a central `tcp://` service pointing at its own listener would loop, each connection opening
 * another. The listeners add and drop their ports; the stream router asks.
 */
export class OwnListeners {
  readonly #ports = new Map<number, string>();

  /** A listener bound `host:port`. */
  add(host: string, port: number): void {
    this.#ports.set(port, host);
  }

  /** The listener on `port` closed. */
  delete(port: number): void {
    this.#ports.delete(port);
  }

  /** True when dialing `host:port` would reach one of the listeners. */
  has(host: string, port: number): boolean {
    const bound = this.#ports.get(port);
    if (bound === undefined) return false;
    return host === bound || LOCAL_HOSTS.has(host) || host.startsWith('127.') || LOCAL_HOSTS.has(bound);
  }
}
