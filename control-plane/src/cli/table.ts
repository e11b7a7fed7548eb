/** A column of a CLI table: its header and how a row shows in it. */
export interface Column<T> {
  header: string;
  cell(row: T): string;
}

/**
 * Rows as a plain-text table: a header line, then one line per row, each column padded to its widest cell
 * (the last one not padded, so no line ends in spaces).
 */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A time relative to `now` as a table shows it: `12s ago`, `5m ago`, `in 14m`, `-` for none. */
export function relativeTime(at: number | string | null | undefined, now: number): string {
  if (at === null || at === undefined) return '-';
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(t)) return '-';
  const ms = Math.abs(now - t);
  const span =
    ms < 60_000
      ? `${Math.floor(ms / 1000)}s`
      : ms < 3_600_000
        ? `${Math.floor(ms / 60_000)}m`
        : ms < 86_400_000
          ? `${Math.floor(ms / 3_600_000)}h`
          : `${Math.floor(ms / 86_400_000)}d`;
  return t > now ? `in ${span}` : `${span} ago`;
}

/** Labels as `k=v,k=v` (`-` for none). */
export function labelCell(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '-';
}

/**
 * Prints a list: with `json`, one JSON document `{<key>: rows}` (the shape the API lists with); else the table, or
 * `empty` (what to do to get a first one) when there is no row.
 */
export function printList<T>(
  options: { json?: boolean | undefined; key: string; empty: string },
  columns: readonly Column<T>[],
  rows: readonly T[],
): void {
  if (options.json) process.stdout.write(`${JSON.stringify({ [options.key]: rows })}\n`);
  else if (rows.length === 0) process.stdout.write(`${options.empty}\n`);
  else process.stdout.write(`${formatTable(columns, rows)}\n`);
}
