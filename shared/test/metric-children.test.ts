import { describe, expect, it } from 'vitest';
import { metricChildren } from '@tether/shared';

function fakeMetric() {
  const made: string[][] = [];
  return { made, labels: (...values: string[]) => (made.push(values), { values }) };
}

describe('metricChildren', () => {
  it('asks the metric once per label set and hands back the same child', () => {
    const metric = fakeMetric();
    const of = metricChildren(metric);
    const a = of('svc', '200');
    expect(of('svc', '200')).toBe(a);
    expect(of('svc', '500')).not.toBe(a);
    expect(of('sv', 'c200')).not.toBe(a); // values are kept apart, not concatenated
    expect(metric.made).toEqual([
      ['svc', '200'],
      ['svc', '500'],
      ['sv', 'c200'],
    ]);
  });

  it('starts over once it holds `max` label sets', () => {
    const metric = fakeMetric();
    const of = metricChildren(metric, 2);
    for (const v of ['a', 'b', 'c', 'a']) of(v);
    expect(metric.made).toEqual([['a'], ['b'], ['c'], ['a']]);
  });
});
