/** @tether/shared: pure logic and wire schemas that the agent and the control plane share; every export named. */

// Errors and the HTTP status of each.
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
export { ERROR_STATUS, errorStatus } from './error-status.js';

// Identities, routes and route tables (plans, the in-memory table, keyset pages), service URLs.
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
  routesSpeaking,
  type ServiceProtocol,
  serviceProtocol,
  ServiceUrlSchema,
  tcpEndpoint,
} from './service-url.js';

// Advertising and hub policy: strategies, central services, what the hub accepts and sends each edge, deltas.
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
export { chunkBySize, deltaParts, type DeltaPart, MAX_ADVERT_BYTES, snapshotParts } from './advert-parts.js';

// The MQTT protocol: topics, the ACL, messages and their codec, the transport interface.
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
export { type LinkTransport, type MessageHandler, type PublishOptions, type Transport } from './transport.js';
export { DrainWaits, type Drainable } from './drain-waits.js';
export {
  JOIN_PUBLISH_BELOW,
  MAX_REMAINING_LENGTH,
  publishHead,
  writePublish,
  type PacketSink,
} from './publish-head.js';

// Enrollment, agent versions and fleet upgrades.
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
export { acceptedAgentVersions, agentVersionRefusal, parseVersion, type Version } from './agent-version.js';
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

// Reports: messages and the compressed batch frame.
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
export {
  compressReportBatch,
  decodeReportsUp,
  isReportFrame,
  REPORT_FRAME_VERSION,
  type ReportDecodeOptions,
} from './report-frame.js';

// Time, rates, retries and cancellation.
export { type Clock, systemClock } from './clock.js';
export { abortReason, Cancellation, type CancelSignal } from './cancellation.js';
export { TurnEndWork } from './turn-end-work.js';
export { type RateSpec, TokenBucket } from './token-bucket.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';

// Parsing input, CLI help, private directories.
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
export {
  formatZodError,
  formatZodIssue,
  formatZodIssues,
  type IssueLike,
  issuePath,
  MAX_LISTED_ISSUES,
} from './zod-issues.js';
export { addHelpExamples, type HelpCommand } from './cli-examples.js';
export { ensurePrivateDir, PrivateDirError } from './private-dir.js';

// Route selection, the tunnel, HTTP pieces and byte streams: each folder lists its exports by name.
export * from './selection/index.js';
export * from './tunnel/index.js';
export * from './http/index.js';
export * from './streams/index.js';
