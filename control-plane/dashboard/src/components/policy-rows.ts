import type { ServicePolicy } from '../types.js';

/** What a form row matches on: a site, an agent id, or one label. */
export type MatchKind = 'site' | 'agent' | 'label';

/** One tier or weight row as the form edits it: a single-field match and its number. */
export interface Row {
  kind: MatchKind;
  value: string;
  n: number;
}

/** A tier's or a weight's match, as the policy holds it. */
export type Match = ServicePolicy['tiers'][number]['match'];

/** A match the form can show as one row, or null when it needs the JSON editor. */
function toRow(match: Match, n: number): Row | null {
  const keys = Object.keys(match) as Array<keyof Match>;
  const labelEntries = Object.entries(match.labels ?? {});
  if (keys.length !== 1) return null;
  if (match.site !== undefined) return { kind: 'site', value: match.site, n };
  if (match.agent !== undefined) return { kind: 'agent', value: match.agent, n };
  if (labelEntries.length === 1)
    return { kind: 'label', value: `${labelEntries[0]![0]}=${labelEntries[0]![1]}`, n };
  return null;
}

/** The match a row stands for (a label row's `k=v` split at its first `=`). */
export function fromRow(row: Row): Match {
  if (row.kind === 'site') return { site: row.value };
  if (row.kind === 'agent') return { agent: row.value };
  const at = row.value.indexOf('=');
  return { labels: { [at < 0 ? row.value : row.value.slice(0, at)]: at < 0 ? '' : row.value.slice(at + 1) } };
}

/** The rows of tiers or weights, or null when one of them does not fit a row (edit them as JSON). */
export function rowsOf<T extends { match: Match }>(
  items: readonly T[],
  n: (item: T) => number,
): Row[] | null {
  const rows = items.map((item) => toRow(item.match, n(item)));
  return rows.every((r) => r !== null) ? rows : null;
}
