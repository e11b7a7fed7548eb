import type { Context } from 'hono';
import { z } from 'zod';
import { defineRoute, EnrollRequestSchema, EnrollResponseSchema } from '@tether/shared';
import { enrollAgent, type EnrollmentDeps } from '../../agents/registration/enroll-agent.js';
import { createGrant, GrantRequestSchema } from '../../agents/registration/grants.js';
import { BAD, error, json, type ApiRoute } from './api-route.js';

/** What the enrollment routes need. */
export interface EnrollmentRoutesDeps extends EnrollmentDeps {
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

/** `POST /api/v1/grants` (admin) and `POST /api/v1/enroll` (public: the grant in the body is the credential). */
export function enrollmentRoutes(deps: EnrollmentRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/grants',
      access: 'admin',
      tag: 'enrollment',
      summary:
        'Create a single-use enrollment grant (admin); shown once, with the join command for the device',
      body: GrantRequestSchema,
      responses: {
        201: json(
          'created',
          z.object({ grant: z.string(), expiresAt: z.string(), join: z.string().optional() }),
        ),
        400: error('invalid ttl, site, labels or id'),
      },
      handle: (c, { body }) => {
        const audit = { log: deps.audit, actor: deps.actor(c) };
        // The grant carries the API as this admin reached it: the devices it is for are told where to enroll.
        const url = new URL(c.req.url).origin;
        const grant = createGrant(deps.db, body, deps.clock.now(), deps.fingerprint, audit, url);
        deps.logger.info(
          { site: body.site, id: body.id, expiresAt: grant.expiresAt },
          'enrollment grant created',
        );
        return c.json(grant, 201);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/enroll',
      access: 'public',
      tag: 'enrollment',
      summary: 'Redeem a grant (public: the grant is the credential); answers the agent credential',
      body: EnrollRequestSchema,
      maxBodyBytes: 16 * 1024,
      responses: {
        201: json('enrolled', EnrollResponseSchema),
        ...BAD,
        401: error('unknown grant'),
        409: error('grant used, or the id exists or is not allowed'),
        410: error('grant expired'),
      },
      handle: async (c, { body }) => c.json(await enrollAgent(deps, body, new URL(c.req.url).hostname), 201),
    }),
  ];
}
