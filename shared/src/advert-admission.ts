import type { AdvertiseStrategy } from './strategy.js';

/** Why the hub stores none of an agent's advertised routes. */
export type AdvertRefusal = 'fixed-none' | 'declared-none';

/**
 * Whether the hub stores the routes an agent advertises (snapshots and deltas alike), whatever the agent says:
 * never when the hub fixed its strategy to `none` (a grant or `agent add` with `--strategy none`), nor when the
 * agent declares `none` itself (such an agent sends no routes: one that does is not trusted). Undefined: accepted.
 * Only `none` can be held against an advert: every other strategy sends only the agent's own routes, which
 * `acceptAdvert` checks route by route.
 */
export function advertRefusal(
  fixed: AdvertiseStrategy | null | undefined,
  declared: AdvertiseStrategy | null | undefined,
): AdvertRefusal | undefined {
  if (fixed === 'none') return 'fixed-none';
  if (declared === 'none') return 'declared-none';
  return undefined;
}

/** What an agent is told when its routes are refused: what was wrong and what to do. */
export function advertRefusalMessage(refusal: AdvertRefusal, routes: number): string {
  switch (refusal) {
    case 'fixed-none':
      return `the control plane fixed this agent's strategy to "none": its ${routes} advertised route(s) were not stored; run it with --strategy none`;
    case 'declared-none':
      return `this agent declares strategy "none" but advertised ${routes} route(s): none were stored`;
  }
}
