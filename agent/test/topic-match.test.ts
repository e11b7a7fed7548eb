import { describe, expect, it } from 'vitest';
import { topicMatches } from '../src/link/topic-match.js';

describe('topicMatches', () => {
  it.each([
    ['tunnel-down/a1', 'tunnel-down/a1', true],
    ['tunnel-down/a1', 'tunnel-down/a2', false],
    ['tunnel-down/a1', 'tunnel-down/a1/x', false],
    ['tunnel-down/a', 'tunnel-down/a1', false],
    ['routes/+', 'routes/a1', true],
    ['routes/+', 'routes/a1/x', false],
    ['routes/+/x', 'routes/a1/x', true],
    ['routes/#', 'routes/a1/x', true],
    ['routes/#', 'routes', true],
    ['#', 'anything/at/all', true],
    ['+/b', 'a/c', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
