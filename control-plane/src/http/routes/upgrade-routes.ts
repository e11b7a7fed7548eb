import type { Context } from 'hono';
import { z } from 'zod';
import { defineRoute, ValidationError } from '@tether/shared';
import type { UpgradeRollouts } from '../../agents/upgrades/rollouts.js';
import { RolloutViewSchema } from '../../api/upgrade-schemas.js';
import { BAD, error, json, list, MISSING, type ApiRoute } from './api-route.js';

/** The largest agent build taken (the single executable is ~100 MB). */
export const MAX_BUILD_BYTES = 256 * 1024 * 1024;

/** What the upgrade routes use. */
export interface UpgradeRoutesDeps {
  upgrades: UpgradeRollouts;
  /** Who made a request, for the audit log (`token:<name>`). */
  actor(c: Context): string;
}

const count = (name: string) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `${name} must be a whole number`)
    .transform(Number);

/** The rollout's options, as query parameters beside the build's bytes. */
const RolloutQuery = z.strictObject({
  agents: z
    .string()
    .max(4096)
    .describe('agent ids or key=value labels (site=NAME), comma-separated; default all')
    .optional(),
  canary: count('canary').describe('how many agents upgrade first (default 1)').optional(),
  maxFailures: count('maxFailures').describe('failures that stop the rollout (default 1)').optional(),
  deadlineMs: count('deadlineMs')
    .describe('how long a new build has to connect before its agent rolls back, ms (default 60000)')
    .optional(),
});

const Params = z.strictObject({ id: z.string().max(64) });

/** Fleet upgrades: start a rollout of a build and cancel one (admin), list them and follow one (read). */
export function upgradeRoutes(deps: UpgradeRoutesDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/upgrades',
      access: 'admin',
      tag: 'upgrades',
      summary: 'Roll an agent build out to agents, canaries first, signed by the control plane',
      description:
        'The body is the build (tether-agent.mjs or the tether-agent executable) as application/octet-stream.',
      query: RolloutQuery,
      rawBody: { types: ['application/octet-stream'], maxBytes: MAX_BUILD_BYTES },
      responses: {
        201: json('the rollout', RolloutViewSchema),
        ...BAD,
        413: error('the build is too large'),
      },
      handle: async (c, { query, body }) => {
        const build = body as Uint8Array;
        if (build.byteLength === 0)
          throw new ValidationError(
            'the build is empty: send the agent file as the body (application/octet-stream)',
          );
        const rollout = await deps.upgrades.create(
          {
            build,
            agents: query.agents ?? 'all',
            canary: query.canary ?? 1,
            maxFailures: Math.max(1, query.maxFailures ?? 1),
            deadlineMs: Math.min(3_600_000, Math.max(1000, query.deadlineMs ?? 60_000)),
          },
          deps.actor(c),
        );
        return c.json(rollout, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/upgrades',
      access: 'read',
      tag: 'upgrades',
      summary: 'Every upgrade rollout, newest first, with each agent’s progress',
      responses: { 200: json('rollouts', list('upgrades', RolloutViewSchema)) },
      handle: (c) => c.json({ upgrades: deps.upgrades.list() }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/upgrades/:id',
      access: 'read',
      tag: 'upgrades',
      summary: 'One upgrade rollout',
      params: Params,
      responses: { 200: json('the rollout', RolloutViewSchema), ...MISSING },
      handle: (c, { params }) => c.json(deps.upgrades.view(params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/upgrades/:id/cancel',
      access: 'admin',
      tag: 'upgrades',
      summary: 'Stop a running rollout: agents not started are skipped, those receiving the build finish',
      params: Params,
      responses: {
        200: json('the rollout, stopped', RolloutViewSchema),
        ...MISSING,
        409: error('the rollout is not running'),
      },
      handle: (c, { params }) => c.json(deps.upgrades.cancel(params.id, deps.actor(c))),
    }),
  ];
}
