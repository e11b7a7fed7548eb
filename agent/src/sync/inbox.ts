import {
  decode,
  InboxMessageSchema,
  type AgentRoutes,
  type CredentialRotate,
  type ErrorMessage,
  type ResyncRequest,
  type UpgradeChunk,
  type UpgradeOffer,
} from '@tether/shared';

/** One small handler per message type the hub may send to an agent's inbox. */
export interface InboxHandlers {
  agentRoutes(message: AgentRoutes): void;
  resyncRequest(message: ResyncRequest): void;
  error(message: ErrorMessage): void;
  /** A rotated secret for this agent. */
  credentialRotate(message: CredentialRotate): void;
  /** A new build offered by the hub (fleet upgrade). */
  upgradeOffer(message: UpgradeOffer): void;
  /** A chunk of the build being received. */
  upgradeChunk(message: UpgradeChunk): void;
  /** A payload that failed validation: reported, never thrown. */
  invalid(reason: string): void;
}

/** Validates one inbox payload once (zod) and dispatches it with one exhaustive switch. Never throws. */
export function handleInbox(payload: Uint8Array | string, handlers: InboxHandlers): void {
  const decoded = decode(InboxMessageSchema, payload);
  if (!decoded.ok) {
    handlers.invalid(decoded.error);
    return;
  }
  const message = decoded.message;
  switch (message.type) {
    case 'agent-routes':
      return handlers.agentRoutes(message);
    case 'resync-request':
      return handlers.resyncRequest(message);
    case 'error':
      return handlers.error(message);
    case 'credential-rotate':
      return handlers.credentialRotate(message);
    case 'upgrade-offer':
      return handlers.upgradeOffer(message);
    case 'upgrade-chunk':
      return handlers.upgradeChunk(message);
    default: {
      const unreachable: never = message;
      handlers.invalid(`unknown message ${JSON.stringify(unreachable)}`);
    }
  }
}
