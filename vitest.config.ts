import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

export default defineConfig({
  test: {
    projects: ['shared', 'agent', 'control-plane', 'test'],
    reporters: ['default', new SummaryReporter()],
  },
});
