import { chmodSync, closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    stream       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    size         INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX IF NOT EXISTS reports_stream_seq ON reports (stream, seq);
  CREATE TABLE IF NOT EXISTS streams (
    stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, dropped_through INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
`;

/** Opens (creating, mode 0600) the outbox's SQLite file: WAL, synchronous=FULL, the schema in place. */
export function openOutboxDatabase(
  file: string,
  nativeBinding: string | object | undefined,
): BetterSqlite3.Database {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  // better-sqlite3 takes a loaded addon object as well as a path; its types name the path only.
  const db = new BetterSqlite3(file, nativeBinding ? ({ nativeBinding } as BetterSqlite3.Options) : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** The statements the outbox runs, prepared once. */
export interface OutboxStatements {
  insert: BetterSqlite3.Statement;
  setSeq: BetterSqlite3.Statement;
  oldest: BetterSqlite3.Statement;
  setDroppedThrough: BetterSqlite3.Statement;
  deleteId: BetterSqlite3.Statement;
  read: BetterSqlite3.Statement;
  /** `read` of the streams in a JSON array, and of every stream but those. */
  readIn: BetterSqlite3.Statement;
  readNotIn: BetterSqlite3.Statement;
  ack: BetterSqlite3.Statement;
  setDropped: BetterSqlite3.Statement;
}

/** Prepares the outbox's statements on its open database. */
export function prepareOutboxStatements(db: BetterSqlite3.Database): OutboxStatements {
  return {
    insert: db.prepare(
      'INSERT INTO reports (stream, seq, at, content_type, body, size) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setSeq: db.prepare(
      'INSERT INTO streams (stream, last_seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq',
    ),
    oldest: db.prepare('SELECT id, stream, seq, size, at FROM reports ORDER BY id LIMIT 1'),
    setDroppedThrough: db.prepare('UPDATE streams SET dropped_through = ? WHERE stream = ?'),
    deleteId: db.prepare('DELETE FROM reports WHERE id = ?'),
    read: db.prepare(
      'SELECT id, stream, seq, at, content_type AS contentType, body FROM reports WHERE id > ? ORDER BY id LIMIT ?',
    ),
    readIn: db.prepare(
      `SELECT id, stream, seq, at, content_type AS contentType, body FROM reports
       WHERE id > ? AND stream IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?`,
    ),
    readNotIn: db.prepare(
      `SELECT id, stream, seq, at, content_type AS contentType, body FROM reports
       WHERE id > ? AND stream NOT IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?`,
    ),
    ack: db.prepare('DELETE FROM reports WHERE stream = ? AND seq BETWEEN ? AND ? RETURNING size'),
    setDropped: db.prepare(
      "INSERT INTO meta (key, value) VALUES ('dropped', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
  };
}

/** What an outbox file holds when opened. */
export interface OutboxState {
  /** Per stream, the last seq handed out. */
  lastSeq: Map<string, number>;
  /** Per stream, the highest seq dropped by `drop-oldest` (streams with none are absent). */
  droppedThrough: Map<string, number>;
  /** How many reports it holds. */
  depth: number;
  /** Their body bytes. */
  bytes: number;
  /** How many reports `drop-oldest` has dropped in all. */
  dropped: number;
  /** One past the highest report id. */
  nextId: number;
}

/** Reads the per-stream seqs, totals and drop counts an outbox file holds. */
export function readOutboxState(db: BetterSqlite3.Database): OutboxState {
  const lastSeq = new Map<string, number>();
  const droppedThrough = new Map<string, number>();
  for (const row of db
    .prepare('SELECT stream, last_seq AS seq, dropped_through AS dropped FROM streams')
    .all() as { stream: string; seq: number; dropped: number }[]) {
    lastSeq.set(row.stream, row.seq);
    if (row.dropped > 0) droppedThrough.set(row.stream, row.dropped);
  }
  const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM reports').get() as {
    n: number;
    b: number;
  };
  const dropped = db.prepare("SELECT value FROM meta WHERE key = 'dropped'").get() as
    { value: number } | undefined;
  const maxId = db.prepare('SELECT coalesce(max(id), 0) AS id FROM reports').get() as { id: number };
  return {
    lastSeq,
    droppedThrough,
    depth: totals.n,
    bytes: totals.b,
    dropped: dropped?.value ?? 0,
    nextId: maxId.id + 1,
  };
}
