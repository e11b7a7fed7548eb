import { routesDigest, type AdvertiseStrategy, type SyncPosition } from '@tether/shared';
import type { AgentRecord } from '../../store/agent-store.js';
import type { SqliteRouteTable } from '../../store/sqlite-route-table.js';
import { refusalOf } from './refuse-routes.js';

/**
 * Why the hub's stored state of an agent is not where the agent says its advertised set stands (epoch, seq,
 * digest, count), or undefined when it is. The routes of an agent whose adverts are refused are not compared: it
 * digests what it advertised, the hub stored none, and a resync would only be refused again.
 */
export function positionMismatch(
  agent: AgentRecord | undefined,
  table: Pick<SqliteRouteTable, 'list'>,
  position: SyncPosition,
  declared?: AdvertiseStrategy,
): string | undefined {
  if (!agent || agent.epoch !== position.epoch || agent.seq !== position.seq) return 'position mismatch';
  if (refusalOf(agent, declared ?? agent.strategy)) return undefined;
  const stored = table.list({ origin: agent.id });
  if (stored.length !== position.count || routesDigest(stored) !== position.digest) return 'digest mismatch';
  return undefined;
}
