import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, ServicePolicySchema } from '@tether/shared';

describe('ServicePolicySchema', () => {
  it('applies every default to an empty policy', () => {
    expect(DEFAULT_POLICY).toEqual({
      tiers: [],
      weights: [],
      defaultWeight: 1,
      localFirst: true,
      allowEdgeCallers: [],
      allowEdgeInstances: [],
      ejection: { consecutiveFailures: 3, baseMs: 1000, maxMs: 30_000 },
    });
  });

  it('fills ejection defaults field by field', () => {
    expect(ServicePolicySchema.parse({ ejection: { baseMs: 50 } }).ejection).toEqual({
      consecutiveFailures: 3,
      baseMs: 50,
      maxMs: 30_000,
    });
  });

  it.each([
    [{ tiers: [{ match: {}, priority: -1 }] }, 'tiers.0.priority'],
    [{ weights: [{ match: { site: 'a' }, weight: 1.5 }] }, 'weights.0.weight'],
    [{ weights: [{ match: { agent: 'central', zone: 'x' }, weight: 1 }] }, 'weights.0.match'],
    [{ allowEdgeCallers: ['bad id!'] }, 'allowEdgeCallers.0'],
    [{ allowEdgeInstances: ['central'] }, 'allowEdgeInstances.0'],
    [{ ejection: { baseMs: 10_000, maxMs: 5 } }, 'ejection.maxMs'],
    [{ filter: { sites: [] } }, 'filter.sites'],
    [{ localFirst: 'yes' }, 'localFirst'],
    [{ unknown: 1 }, ''],
  ])('rejects %j at %s', (input, path) => {
    const parsed = ServicePolicySchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
