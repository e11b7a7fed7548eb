export * from './upstream-client.js';
export * from './drained.js';
export * from './forward-http.js';
export * from './call-response.js';
export * from './read-ahead.js';
