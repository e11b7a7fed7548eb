import { defineRoute } from '@tether/shared';
import type { Metrics } from '../../observability/metrics.js';
import { json, status, type ApiRoute } from './api-route.js';

/** What the system routes read. */
export interface SystemRoutesDeps {
  metrics: Metrics;
  /** True when the database, broker and listeners are up. */
  isReady(): boolean;
  /** Why not ready beyond `isReady` (a cluster member's Redis), or undefined. */
  notReadyReason?(): string | undefined;
}

/** Probes and Prometheus metrics: public. */
export function systemRoutes(deps: SystemRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      access: 'public',
      tag: 'system',
      summary: 'Liveness',
      responses: { 200: json('alive', status('ok')) },
      handle: (c) => c.json({ status: 'ok' }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      access: 'public',
      tag: 'system',
      summary: 'Readiness: database, broker and listeners up',
      responses: { 200: json('ready', status('ready')), 503: json('not ready', status('not ready')) },
      handle: (c) => {
        const reason = deps.notReadyReason?.();
        if (deps.isReady() && reason === undefined) return c.json({ status: 'ready' });
        return c.json({ status: 'not ready', ...(reason === undefined ? {} : { reason }) }, 503);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      access: 'public',
      tag: 'system',
      summary: 'Prometheus metrics (text exposition format)',
      responses: { 200: { description: 'metrics', contentType: 'text/plain; version=0.0.4' } },
      handle: async (c) => {
        const body = await deps.metrics.registry.metrics();
        return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
      },
    }),
  ];
}

/** `GET /api/v1/openapi.json` (public): the API document, built from the route table this route is part of. */
export function openApiRoute(document: unknown): ApiRoute {
  return defineRoute({
    method: 'get',
    path: '/api/v1/openapi.json',
    access: 'public',
    tag: 'system',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
    handle: (c) => c.json(document),
  });
}
