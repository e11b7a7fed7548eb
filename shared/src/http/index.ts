/** The HTTP pieces both programs serve with: request targets, route records, the front door, forwarding. */

// Requests in: the canonical target, route records, the routed app, the front door, error answers.
export {
  type CallTarget,
  callTarget,
  isCallMethod,
  isCanonicalPath,
  isCleanQuery,
  parseRequestTarget,
  type RequestTarget,
  RequestTargetError,
} from '../request-target.js';
export {
  defineRoute,
  type HonoRoute,
  type HttpMethod,
  type NodeRoute,
  type ResponseSpec,
  type RouteBase,
  type RouteInput,
  type RouteRecord,
  type UpgradeRoute,
} from './route-record.js';
export {
  createRoutedApp,
  DEFAULT_MAX_JSON_BYTES,
  incomingOf,
  notFound,
  type RoutedAppOptions,
} from './routed-app.js';
export { createFrontDoor, type FrontDoor, type FrontDoorOptions } from './front-door.js';
export { type ErrorAnswer, errorAnswer, rejectUpgrade, sendError } from './error-response.js';

// Requests out: the upstream client, forwarding a call, writing its response, reading bodies ahead.
export { createUpstreamClient, type HttpModules, type UpstreamClient } from './upstream-client.js';
export { drained, mayHaveBody } from './drained.js';
export { forwardHttp, framedHeaders, mayResend, type UpstreamRequest } from './forward-http.js';
export { type CallHead, readCallHead } from './call-head.js';
export { sendCallError, writeCallResponse } from './call-response.js';
export {
  readRequestBody,
  readResponseBody,
  RESPONSE_SETTLE_MS,
  settleWindow,
  type SettleWindow,
} from './read-ahead.js';

// Upgrades (WebSockets and the like): forwarding one, its head, serving one from a stream.
export { forwardUpgrade, type UpgradeAnswer, type UpgradeRequest } from './forward-upgrade.js';
export { acceptHead, joinUpgrade, safeHeaders, upgradeOf } from './upgrade-head.js';
export { serveUpgrade, upgradeOpen, type UpgradeHooks } from './serve-upgrade.js';

// A stream's far end by the service's URL: TCP, or an HTTP Upgrade.
export { dialService, type ServiceIo } from './dial-service.js';
