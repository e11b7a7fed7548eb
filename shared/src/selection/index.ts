export * from './service-policy.js';
export * from './service-ownership.js';
export * from './select-route.js';
export * from './health-tracker.js';
export * from './latency-window.js';
export * from './idempotent.js';
