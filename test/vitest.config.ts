import { defineProject } from 'vitest/config';
import { sharedTestOptions } from '../vitest.shared.js';

export default defineProject({
  ...sharedTestOptions,
  test: {
    ...sharedTestOptions.test,
    name: 'integration',
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn real processes; run files one at a time on these 2 cores.
    fileParallelism: false,
  },
});
