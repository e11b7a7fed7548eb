/** @tether/shared: pure logic and wire schemas that the agent and the control plane share; every export named. */
export {
  AgentOfflineError,
  ClusterUnavailableError,
  ConflictError,
  ForbiddenError,
  GoneError,
  NoHealthyInstanceError,
  ListenError,
  NotFoundError,
  PayloadTooLargeError,
  ProtocolError,
  RouteNotFoundError,
  TetherError,
  TimeoutError,
  TooBusyError,
  TooManyHopsError,
  TunnelClosedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UpstreamError,
  ValidationError,
  WrongProtocolError,
} from './errors.js';
export {
  routesSpeaking,
  type ServiceProtocol,
  serviceProtocol,
  ServiceUrlSchema,
  tcpEndpoint,
} from './service-url.js';
export { ERROR_STATUS, errorStatus } from './error-status.js';
export { AgentIdSchema, CENTRAL, type Labels, LabelsSchema, ServiceNameSchema, SiteSchema } from './ids.js';
export {
  type OriginKind,
  OriginKindSchema,
  type Route,
  routeChanged,
  type RouteEvent,
  type RouteKey,
  routeKey,
  RouteSchema,
  type RouteSource,
  RouteSourceSchema,
  type RouteState,
  RouteStateSchema,
  sameLabels,
} from './route.js';
export { type RouteFilter, type RouteTable } from './route-table.js';
export {
  eventResult,
  matchesFilter,
  planApply,
  planDeleteStale,
  planMarkStale,
  planReplaceOrigin,
} from './route-table-plan.js';
export { MemoryRouteTable } from './memory-route-table.js';
export { entriesAfter, type KeysetPage, PAGE_SCAN_BUDGET, takePage } from './keyset-page.js';
export {
  advertisement,
  type AdvertiseStrategy,
  AdvertiseStrategySchema,
  selectAdvertised,
  splitHorizon,
} from './strategy.js';
export {
  centralRoute,
  type CentralService,
  CentralServiceSchema,
  type EdgeIdentity,
  isVisibleTo,
  type Visibility,
  VisibilitySchema,
} from './central-service.js';
export { acceptAdvert, type AcceptedAdvert, routesForEdge } from './hub-policy.js';
export { advertRefusal, type AdvertRefusal, advertRefusalMessage } from './advert-admission.js';
export { byKey, diffRoutes, isEmptyDelta, type RouteDelta } from './route-diff.js';
export { routesDigest } from './digest.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export {
  advertTopic,
  agentIdFromTopic,
  agentNamespace,
  credentialsTopic,
  HUB_SUBSCRIPTIONS,
  inboxTopic,
  reportsAckTopic,
  reportsTopic,
  statusTopic,
  TOPIC_ROOT,
  tunnelDownTopic,
  tunnelReplicaFromTopic,
  tunnelUpTopic,
  upgradesTopic,
} from './topics.js';
export {
  MAX_UPGRADE_CHUNK_BYTES,
  type UpgradeChunk,
  UpgradeChunkSchema,
  type UpgradeFetch,
  UpgradeFetchSchema,
  type UpgradeMessage,
  UpgradeMessageSchema,
  type UpgradeOffer,
  UpgradeOfferSchema,
  type UpgradeOutcome,
  UpgradeOutcomeSchema,
  type UpgradeResult,
  UpgradeResultSchema,
  upgradeSignedText,
  verifyUpgradeSignature,
} from './agent-upgrade.js';
export {
  agentMayPublish,
  agentMaySubscribe,
  agentPublishTopics,
  agentSubscribeTopics,
  isHubToAgentFilter,
} from './acl.js';
export {
  type AdvertDelta,
  AdvertDeltaSchema,
  type AdvertDigest,
  AdvertDigestSchema,
  type AdvertMessage,
  AdvertMessageSchema,
  type AdvertResume,
  AdvertResumeSchema,
  type AdvertSnapshot,
  AdvertSnapshotSchema,
  type AgentRoutes,
  AgentRoutesSchema,
  type AgentStatus,
  AgentStatusSchema,
  type CredentialAck,
  CredentialAckSchema,
  type CredentialMessage,
  CredentialMessageSchema,
  type CredentialRotate,
  CredentialRotateSchema,
  decode,
  type Decoded,
  type DecodeFailure,
  DEFAULT_MAX_PAYLOAD,
  encode,
  type ErrorMessage,
  ErrorMessageSchema,
  type InboxMessage,
  InboxMessageSchema,
  MAX_PROTOCOL_VERSION,
  MAX_ROUTES_PER_MESSAGE,
  type OutboxStats,
  OutboxStatsSchema,
  PROTOCOL_VERSION,
  RESUME_PROTOCOL_VERSION,
  type ResyncRequest,
  ResyncRequestSchema,
  type SyncPosition,
} from './messages.js';
export {
  type EnrollRequest,
  EnrollRequestSchema,
  type EnrollResponse,
  EnrollResponseSchema,
  formatGrantToken,
  GRANT_TOKEN_PREFIX,
  JOIN_GRANT_PREFIX,
  enrollmentUrl,
  joinCommandLine,
  type GrantToken,
  parseFingerprint,
  parseGrantToken,
} from './enrollment.js';
export { type LinkTransport, type MessageHandler, type PublishOptions, type Transport } from './transport.js';
export { type Clock, systemClock } from './clock.js';
export { type RateSpec, TokenBucket } from './token-bucket.js';
export { chunkBySize, deltaParts, type DeltaPart, MAX_ADVERT_BYTES, snapshotParts } from './advert-parts.js';
export {
  DurationInputSchema,
  intParam,
  parseBytes,
  parseDuration,
  parseKeyValue,
  parseKeyValues,
  parseRate,
  timeParam,
} from './parse.js';
export { ensurePrivateDir, PrivateDirError } from './private-dir.js';
export { addHelpExamples, type HelpCommand } from './cli-examples.js';
export {
  formatZodError,
  formatZodIssue,
  formatZodIssues,
  type IssueLike,
  issuePath,
  MAX_LISTED_ISSUES,
} from './zod-issues.js';
export {
  DEFAULT_EJECTION,
  DEFAULT_POLICY,
  DEFAULT_PRIORITY,
  type Ejection,
  EjectionSchema,
  hasLabels,
  matchesRoute,
  passesFilter,
  priorityOf,
  type RouteMatch,
  RouteMatchSchema,
  type ServicePolicy,
  type ServicePolicyInput,
  ServicePolicySchema,
  weightGroupOf,
} from './selection/service-policy.js';
export {
  type Admission,
  admitInstances,
  allowsEdgeInstance,
  type ConflictChanges,
  conflictingAgents,
  isCentrallyDefined,
  isCentralRoute,
  reconcileConflicts,
} from './selection/service-ownership.js';
export {
  type Caller,
  mayCall,
  type NoRouteReason,
  type SelectionContext,
  selectRoute,
  usableRoutes,
  whyNoRoute,
} from './selection/select-route.js';
export {
  type CallToken,
  type HealthState,
  HealthTracker,
  type InstanceHealth,
} from './selection/health-tracker.js';
export { type LatencySummary, LatencyWindow } from './selection/latency-window.js';
export { isIdempotent } from './selection/idempotent.js';
export {
  CancelHeaderSchema,
  CreditHeaderSchema,
  decodeFrame,
  type CallFrame,
  type DecodeResult,
  encodeFrame,
  type ErrorHeader,
  ErrorHeaderSchema,
  FLAG_END,
  FLAG_FROM_CALLER,
  type Frame,
  FRAME_PREFIX_BYTES,
  frameLength,
  FrameType,
  isStreamFrame,
  MAX_CHUNK_BYTES,
  MAX_HEADER_BYTES,
  type RequestHeader,
  RequestHeaderSchema,
  type ResponseHeader,
  ResponseHeaderSchema,
  type StreamFrame,
  TUNNEL_PROTOCOL_VERSION,
} from './tunnel/frame.js';
export { checkCreditHeader, checkRequestHeader, checkResponseHeader } from './tunnel/hot-headers.js';
export {
  decodeFrames,
  FrameBatcher,
  MAX_FRAME_BATCH_BYTES,
  MAX_FRAMES_PER_BATCH,
} from './tunnel/frame-batch.js';
export {
  type CallHandler,
  type CallOptions,
  type HeaderList,
  type IncomingCall,
  type OutgoingResponse,
  type TunnelRequest,
  type TunnelResponse,
} from './tunnel/call-types.js';
export { CallCancelledError, callErrorStatus, fromErrorHeader, toErrorHeader } from './tunnel/call-errors.js';
export { CallQueue } from './tunnel/call-queue.js';
export {
  bodyForAttempt,
  DEFAULT_MAX_BODY_BYTES,
  limitBody,
  prepareBody,
  type PreparedBody,
  RETRY_BUFFER_BYTES,
} from './tunnel/call-body.js';
export { CreditGate, sliceChunk } from './tunnel/credit-gate.js';
export { InboundBody, type InboundBodyHooks } from './tunnel/inbound-body.js';
export {
  callTimeoutMs,
  DEFAULT_CALL_TIMEOUT_MS,
  forwardableHeaders,
  headerRecord,
  HOP_BY_HOP,
  MAX_HOPS,
  nextHops,
  TETHER_HEADERS,
} from './tunnel/http-headers.js';
export { DEFAULT_WINDOW, TunnelEndpoint, type TunnelEndpointOptions } from './tunnel/tunnel-endpoint.js';
export {
  collectEarly,
  type EarlyBody,
  type NextTurn,
  nextTurn,
  type WholeBody,
  wholeBody,
} from './tunnel/early-body.js';
export { type BodyEnd, onBodyEnd, watchBody } from './tunnel/watch-body.js';
export {
  ackRanges,
  isJsonContentType,
  MAX_BATCH_BYTES,
  MAX_BATCH_WIRE_BYTES,
  MAX_REPORT_BYTES,
  MAX_REPORTS_PER_BATCH,
  type ReportAck,
  ReportAckSchema,
  type ReportBatch,
  ReportBatchSchema,
  type ReportsDownMessage,
  ReportsDownMessageSchema,
  ReportStreamSchema,
  type ReportsUpMessage,
  ReportsUpMessageSchema,
  type SeqRange,
  SeqRangeSchema,
  type WireReport,
  WireReportSchema,
} from './reports.js';
export { createUpstreamClient, type HttpModules, type UpstreamClient } from './http/upstream-client.js';
export { drained, mayHaveBody } from './http/drained.js';
export { forwardHttp, framedHeaders, mayResend, type UpstreamRequest } from './http/forward-http.js';
export { sendCallError, writeCallResponse } from './http/call-response.js';
export { readRequestBody, readResponseBody } from './http/read-ahead.js';
export {
  type CallTarget,
  callTarget,
  isCallMethod,
  isCanonicalPath,
  isCleanQuery,
  parseRequestTarget,
  type RequestTarget,
  RequestTargetError,
} from './http/request-target.js';
export { type ErrorAnswer, errorAnswer, rejectUpgrade, sendError } from './http/error-response.js';
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
} from './http/route-record.js';
export {
  createRoutedApp,
  DEFAULT_MAX_JSON_BYTES,
  incomingOf,
  notFound,
  type RoutedAppOptions,
} from './http/routed-app.js';
export { createFrontDoor, type FrontDoor, type FrontDoorOptions } from './http/front-door.js';
export {
  compressReportBatch,
  decodeReportsUp,
  isReportFrame,
  REPORT_FRAME_VERSION,
  type ReportDecodeOptions,
} from './report-frame.js';
export { acceptedAgentVersions, agentVersionRefusal, parseVersion, type Version } from './agent-version.js';
export {
  type AcceptHeader,
  AcceptHeaderSchema,
  GrantHeaderSchema,
  HttpOpenSchema,
  type OpenHeader,
  OpenHeaderSchema,
  SafeHeaderListSchema,
  TcpOpenSchema,
  UpgradeValueSchema,
} from './tunnel/stream-headers.js';
export { TunnelStream, type StreamOwner } from './tunnel/tunnel-stream.js';
export {
  DEFAULT_STREAM_LIMITS,
  type IncomingStream,
  type OpenedStream,
  type OpenRequest,
  type StreamEvents,
  type StreamHandler,
  type StreamLimits,
  TunnelStreams,
} from './tunnel/tunnel-streams.js';
export { type BytePipe, type PipeSink, splice } from './streams/byte-pipe.js';
export { type PipeSocket, socketPipe } from './streams/socket-pipe.js';
export { readablePipe } from './streams/readable-pipe.js';
export { dialTcp, type NetModule } from './streams/dial-tcp.js';
export { dialService, type FarEnd, type ServiceIo } from './streams/dial-service.js';
export { forwardUpgrade, type UpgradeAnswer, type UpgradeRequest } from './http/forward-upgrade.js';
export { acceptHead, joinUpgrade, safeHeaders, upgradeOf } from './http/upgrade-head.js';
export { joinIncoming } from './streams/join-stream.js';
export { serveClient } from './streams/serve-client.js';
export { serveUpgrade, upgradeOpen, type UpgradeHooks } from './http/serve-upgrade.js';
