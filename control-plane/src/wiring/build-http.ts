import { defaultMqttUrls } from '../agents/registration/mqtt-urls.js';
import { RequestAuth } from '../auth/request-auth.js';
import type { BrokerLimits } from '../broker/limits.js';
import type { ControlPlanePorts } from '../control-plane-types.js';
import { createHttp, type Http } from '../http/start-http.js';
import type { Base } from './open-base.js';
import type { AgentSide } from './start-agent-side.js';
import type { BrokerParts } from './start-broker.js';
import type { CallSide } from './start-call-side.js';
import type { ChangeFollowers } from './follow-changes.js';
import type { StartContext } from './start-context.js';

/** The started parts the HTTP port serves. */
export interface HttpParts {
  base: Base;
  mqtt: BrokerParts;
  agentSide: AgentSide;
  callSide: CallSide;
  followers: ChangeFollowers;
  limits: BrokerLimits;
}

/** How the HTTP port sees the control plane as a whole. */
export interface HttpView {
  /** Filled in once the listeners are bound (the MQTT URLs handed to agents read it). */
  ports: ControlPlanePorts;
  /** `sha256:<hex>` of the TLS certificate, when serving TLS. */
  fingerprint: string | undefined;
  isReady: () => boolean;
}

/** Builds the HTTP port (API, gateway, dashboard) and the MQTT listeners, not yet bound. */
export function buildHttp(ctx: StartContext, parts: HttpParts, view: HttpView): Http {
  const { options, clock, logger } = ctx;
  const { base, mqtt, agentSide, callSide, followers, limits } = parts;
  const { db, table, agents, services, metrics, tokens, audit, bus, events } = base;
  const { calls, site } = callSide;
  const { centralServices, policies, health, conflicts } = callSide.services;
  const { ports, fingerprint } = view;
  return createHttp({
    options,
    guard: mqtt.guard,
    auth: new RequestAuth({ tokens, audit, metrics, logger }),
    router: calls.router,
    streams: calls.streams,
    listeners: callSide.tcpListeners,
    maxBodyBytes: calls.maxBodyBytes,
    table,
    agents,
    services,
    centralServices,
    policies,
    health,
    conflicts,
    metrics,
    logger,
    clock,
    reports: agentSide.ingress.reports.store,
    feed: agentSide.ingress.reports.feed,
    tokens,
    audit,
    revocations: followers.revocations,
    rotation: agentSide.ingress.rotation,
    tokenSockets: followers.tokenSockets,
    bus,
    telemetry: agentSide.telemetry,
    events,
    site,
    maxPacketBytes: limits.maxPacketBytes,
    db,
    fingerprint,
    upgrades: agentSide.upgrades,
    upgradeKey: agentSide.upgradeKeyPem,
    mqttUrls: (host) =>
      options.publicMqttUrls?.length
        ? options.publicMqttUrls
        : defaultMqttUrls(host, { ...ports, secure: options.tls !== undefined }),
    claims: followers.cluster?.claims,
    isReady: view.isReady,
    notReadyReason: () => followers.cluster?.notReadyReason(),
  });
}
