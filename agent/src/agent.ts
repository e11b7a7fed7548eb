import path from 'node:path';
import { AgentIdSchema, formatZodError, systemClock, type RouteTable } from '@tether/shared';
import { stopAgent, type AgentParts } from './agent-lifecycle.js';
import type { StartAgentOptions } from './config/agent-options.js';
import type { AgentStatusView } from './api/api-routes.js';
import { ensureStateDir } from './state/atomic-write.js';
import { ConfigError } from './errors.js';
import { normalizeControlPlaneUrl, redactUrl } from './link/control-plane-url.js';
import { createLogger } from './observability/logger.js';
import type { MqttTransport } from './link/mqtt-transport.js';
import type { ReportOutbox } from './reports/lazy-outbox.js';
import { loadTlsPlan } from './link/tls/load-tls-plan.js';
import { startOrUndo } from './undo-stack.js';
import { AGENT_VERSION } from './version.js';
import type { StartContext } from './wiring/start-context.js';
import { openLocalState } from './wiring/open-local-state.js';
import { createHubLink, startHubLink } from './wiring/hub-link.js';
import { createMetrics } from './wiring/create-metrics.js';
import { startSources } from './wiring/start-sources.js';
import { openListeners, openTunnel } from './wiring/open-calls.js';
import { serveLocalApi } from './wiring/serve-local-api.js';

/** A running agent. */
export interface AgentHandle {
  id: string;
  /** The local API's bound port. */
  apiPort: number;
  /** Everything the agent knows: its own routes and the central ones. */
  table: RouteTable;
  transport: MqttTransport;
  outbox: ReportOutbox;
  status(): AgentStatusView;
  /** Publishes the retained offline status, ends the MQTT link, stops checks, closes the API. */
  close(): Promise<void>;
}

/** Starts an agent: loads its state, dials the control plane in the background and serves the local API. */
export async function startAgent(options: StartAgentOptions): Promise<AgentHandle> {
  const logger = options.logger ?? (await createLogger(options.logLevel ?? 'info'));
  const clock = options.clock ?? systemClock;
  const id = AgentIdSchema.safeParse(options.id);
  if (!id.success) throw new ConfigError(`invalid agent id "${options.id}": ${formatZodError(id.error)}`);
  const controlPlane = normalizeControlPlaneUrl(options.controlPlane);
  const identity = {
    id: options.id,
    strategy: options.strategy ?? 'local',
    site: options.site ?? 'default',
    labels: options.labels ?? {},
    version: AGENT_VERSION,
  };
  const stateDir = path.resolve(options.stateDir ?? path.join('.tether', options.id));
  await ensureStateDir(stateDir);
  const tls = await loadTlsPlan(options.tls, controlPlane, logger);
  const ctx: StartContext = { options, identity, controlPlane, stateDir, clock, logger };

  // Each part pushes its undo as it starts: a start that fails half-way undoes what it had started.
  return startOrUndo(logger, async (undo) => {
    const state = await openLocalState(ctx, undo);
    const link = createHubLink(ctx, tls, state, undo);
    const metrics = createMetrics(options.id, state, link);
    const services = await startSources(ctx, state, link.sync, undo);
    const tunnel = await openTunnel(ctx, { table: state.table, transport: link.transport, metrics }, undo);
    await startHubLink(link, undo);
    const tcp = await openListeners(ctx, tunnel, metrics, undo);
    const parts: AgentParts = {
      identity,
      clock,
      logger,
      runners: services.runners,
      registry: services.registry,
      sync: link.sync,
      upgrades: link.upgrades,
      forwarder: link.forwarder,
      transport: link.transport,
      tunnel,
      cache: state.cache,
      outbox: state.outbox,
      tcp,
    };
    const { api, backend } = await serveLocalApi(ctx, { state, link, services, tunnel, tcp, metrics });

    logger.info(
      {
        id: options.id,
        controlPlane: redactUrl(controlPlane),
        strategy: identity.strategy,
        site: identity.site,
      },
      'agent started',
    );
    let closing: Promise<void> | undefined;
    return {
      id: options.id,
      apiPort: api.port,
      table: state.table,
      transport: link.transport,
      outbox: state.outbox,
      status: () => backend.status(),
      close: () => (closing ??= stopAgent(parts, api)),
    };
  });
}
