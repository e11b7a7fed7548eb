import type { UserWorkspaceConfig } from 'vitest/config';

/** Options every vitest project shares: resolve workspace packages to their TypeScript source. */
export const sharedTestOptions: UserWorkspaceConfig = {
  resolve: { conditions: ['@tether/source'] },
  ssr: { resolve: { conditions: ['@tether/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
};
