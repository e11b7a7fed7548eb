import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['shared', 'agent', 'control-plane', 'test'],
  },
});
