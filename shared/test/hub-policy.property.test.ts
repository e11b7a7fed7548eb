import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acceptAdvert,
  advertisement,
  CENTRAL,
  centralRoute,
  isVisibleTo,
  MemoryRouteTable,
  routesForEdge,
  type AdvertiseStrategy,
  type CentralService,
  type EdgeIdentity,
  type OriginKind,
  type Route,
  type RouteSource,
  type Visibility,
} from '@tether/shared';
import { agentIdArb, labelsArb, route, serviceArb } from './fixtures.js';

interface EdgeSpec {
  edge: EdgeIdentity;
  strategy: AdvertiseStrategy;
  /** Everything the edge's own table holds: own routes plus routes it learned. */
  table: Route[];
  /** Routes a misbehaving edge adds to its advert, claiming another origin. */
  forged: Route[];
}

// Routes of every source: imported from registries (file, etcd, mdns), static, the API, or none (central, older).
const routeShape = fc.record(
  {
    service: serviceArb,
    address: fc.constantFrom('http://a:1', 'http://b:2', 'http://c:3'),
    metric: fc.integer({ min: 0, max: 4 }),
    labels: labelsArb,
    state: fc.constantFrom('active' as const, 'stale' as const),
    originKind: fc.constantFrom<OriginKind>('local', 'edge', 'central', 'peer'),
    source: fc.constantFrom<RouteSource>('static', 'api', 'file', 'etcd', 'mdns'),
  },
  { requiredKeys: ['service', 'address', 'metric', 'labels', 'state', 'originKind'] },
);

const visibilityArb: fc.Arbitrary<Visibility | undefined> = fc.option(
  fc.record({ labels: labelsArb, agents: fc.array(agentIdArb, { maxLength: 3 }) }, { requiredKeys: [] }),
  { nil: undefined },
);

const scenarioArb = fc.uniqueArray(agentIdArb, { minLength: 1, maxLength: 5 }).chain((ids) => {
  const otherOrigin = fc.constantFrom(CENTRAL, ...ids, 'ghost');
  const edgeArb = (id: string): fc.Arbitrary<EdgeSpec> =>
    fc.record({
      edge: fc.record({ id: fc.constant(id), site: fc.constantFrom('s1', 's2'), labels: labelsArb }),
      strategy: fc.constantFrom<AdvertiseStrategy>('none', 'local', 'best', 'all'),
      table: fc
        .array(fc.tuple(routeShape, fc.boolean(), otherOrigin), { maxLength: 8 })
        .map((rows) => rows.map(([shape, isOwn, other]) => route({ ...shape, origin: isOwn ? id : other }))),
      forged: fc
        .array(fc.tuple(routeShape, otherOrigin), { maxLength: 3 })
        .map((rows) =>
          rows.map(([shape, other]) => route({ ...shape, origin: other })).filter((r) => r.origin !== id),
        ),
    });
  const services = fc.uniqueArray(fc.tuple(serviceArb, visibilityArb), {
    maxLength: 5,
    selector: ([name]) => name,
  });
  return fc.tuple(fc.constant(ids), fc.tuple(...ids.map(edgeArb)), services);
});

describe('hub policy, simulated over random edges (property)', () => {
  it("no edge ever sees another edge's route and the table only holds senders' own routes", () => {
    fc.assert(
      fc.property(scenarioArb, ([ids, edges, services]) => {
        const hub = new MemoryRouteTable();
        const visibility = new Map<string, Visibility | undefined>();
        const centralRoutes = services.map(([name, rule]) => {
          visibility.set(name, rule);
          const svc: CentralService = { name, url: `https://hub/${name}`, labels: {}, metric: 1 };
          return centralRoute(svc, 'hub', 1);
        });
        hub.replaceOrigin(CENTRAL, centralRoutes);

        const sentBy = new Map<string, string>();
        for (const { edge, strategy, table, forged } of edges) {
          const advert = advertisement(table, strategy, edge.id);
          for (const r of advert) expect(r.origin).toBe(edge.id);
          if (strategy === 'none') expect(advert).toEqual([]); // imported or not, `none` sends nothing
          for (const r of advert) expect(table).toContainEqual(r); // its source travels unchanged
          const { accepted, rejected } = acceptAdvert(edge.id, [...advert, ...forged]);
          expect(rejected).toHaveLength(forged.length);
          for (const r of accepted)
            expect([r.origin, r.originKind, r.state]).toEqual([edge.id, 'edge', 'active']);
          for (const [i, r] of accepted.entries()) expect(r.source).toBe(advert[i]?.source);
          for (const event of hub.replaceOrigin(edge.id, accepted)) {
            expect(event.route.origin).toBe(edge.id);
            if (event.type !== 'deleted')
              sentBy.set(JSON.stringify([event.route.service, event.route.address, edge.id]), edge.id);
          }
        }

        const stored = hub.list();
        for (const r of stored) {
          if (r.origin === CENTRAL) {
            expect(r.originKind).toBe('central');
            continue;
          }
          expect(ids).toContain(r.origin);
          expect(r.originKind).toBe('edge');
          expect(sentBy.get(JSON.stringify([r.service, r.address, r.origin]))).toBe(r.origin);
        }
        // Central routes survived every edge's snapshot.
        expect(hub.count({ origin: CENTRAL })).toBe(centralRoutes.length);

        for (const { edge } of edges) {
          const view = routesForEdge(stored, edge, visibility);
          for (const r of view) {
            expect(r.origin).toBe(CENTRAL);
            expect(r.originKind).toBe('central');
            expect(ids).not.toContain(r.origin);
            expect(isVisibleTo(visibility.get(r.service), edge)).toBe(true);
          }
          const expected = centralRoutes.filter((r) => isVisibleTo(visibility.get(r.service), edge));
          expect(view).toHaveLength(expected.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
