import type { Context } from 'hono';
import { z } from 'zod';
import { defineRoute } from '@tether/shared';
import { ListenerInputSchema, ListenerViewSchema } from '../../api/listener-schemas.js';
import type { TcpListeners } from '../../tcp/tcp-listeners.js';
import { BAD, error, json, list, MISSING, type ApiRoute } from './api-route.js';

/** What the listener routes need. */
export interface ListenerRoutesDeps {
  listeners: TcpListeners;
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

const PortParams = z.strictObject({ port: z.coerce.number().int().min(1).max(65_535) });

/** TCP listeners: ports of the control plane that forward each connection to an instance of a `tcp://` service. */
export function listenerRoutes(deps: ListenerRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/listeners',
      access: 'read',
      tag: 'listeners',
      summary: 'Every TCP listener, with its state and open connections',
      responses: { 200: json('listeners', list('listeners', ListenerViewSchema)) },
      handle: (c) => c.json({ listeners: deps.listeners.list() }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/listeners',
      access: 'admin',
      tag: 'listeners',
      summary: 'Open a TCP port forwarding every connection to a service (port 0: any free port)',
      description:
        'Each connection goes to an instance of the service chosen by its route selection policy (an edge ' +
        'instance through its agent’s tunnel). `host` defaults to 127.0.0.1. Persisted and audited.',
      body: ListenerInputSchema,
      responses: {
        201: json('listening', ListenerViewSchema),
        ...BAD,
        409: error('the port is taken (by a listener or another program)'),
      },
      handle: async (c, { body }) => c.json(await deps.listeners.add(body, deps.actor(c)), 201),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/listeners/:port',
      access: 'admin',
      tag: 'listeners',
      summary: 'Close a listener and reset its connections',
      params: PortParams,
      responses: { 204: { description: 'closed' }, ...BAD, ...MISSING },
      handle: async (c, { params }) => {
        await deps.listeners.remove(params.port, deps.actor(c));
        return c.body(null, 204);
      },
    }),
  ];
}
