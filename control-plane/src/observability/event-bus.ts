import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { routeKey, serviceProtocol, type Route, type RouteEvent } from '@tether/shared';
import type { ControlPlaneEventSchema, KeyedRouteSchema } from '../api/api-schemas.js';

/** A route as served by the API and the event stream: the route plus its key and protocol. */
export type KeyedRoute = z.infer<typeof KeyedRouteSchema>;

/** One event of the control plane's live stream (`/api/v1/events`): see ControlPlaneEventSchema. */
export type ControlPlaneEvent = z.infer<typeof ControlPlaneEventSchema>;

/** Adds a route's key and protocol (`tcp` for a `tcp://` address, else `http`) to it. */
export function keyed(route: Route): KeyedRoute {
  return { key: routeKey(route), protocol: serviceProtocol(route.address), ...route };
}

/** A small typed event bus: writers emit after their transaction commits; the API streams to listeners. */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** Publishes one event to every listener. */
  emit(event: ControlPlaneEvent): void {
    this.#emitter.emit('event', event);
  }

  /** Publishes the events a route table mutation returned. */
  emitRouteEvents(events: readonly RouteEvent[]): void {
    for (const e of events) this.emit({ type: `route-${e.type}`, route: keyed(e.route) });
  }

  /** Listens to every event; returns a function that stops listening. */
  subscribe(listener: (event: ControlPlaneEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}
