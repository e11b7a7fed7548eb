import type BetterSqlite3 from 'better-sqlite3';
import { ReadCache } from '../db/read-cache.js';
import type { Role } from './access-policy.js';
import { hashSecret } from './secrets.js';

/** An API token as stored: never the token itself, only its sha256. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  createdBy: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  token_hash: string;
  created_at: number;
  created_by: string | null;
}

function toRecord(row: TokenRow): TokenRecord {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at, createdBy: row.created_by };
}

/** The api_tokens table. Tokens are looked up by the hash of the presented token (indexed, UNIQUE). */
export class TokenStore {
  readonly #stmts;
  /** Token lookups by hash (every authenticated request makes one); emptied by any write to the database. */
  readonly #byHash: ReadCache<string, TokenRecord | undefined>;
  /**
   * Known tokens by the presented string, so a request with one hashes nothing (sha256 showed in the control
   * plane's profile, per call); unknown ones are never kept. Emptied with #byHash: by any write to the database.
   */
  readonly #byToken: ReadCache<string, TokenRecord | undefined>;

  constructor(db: BetterSqlite3.Database) {
    this.#byHash = new ReadCache(db, 1_000);
    this.#byToken = new ReadCache(db, 1_000);
    this.#stmts = {
      byHash: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?'),
      byId: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?'),
      list: db.prepare<[], TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM api_tokens'),
      insert: db.prepare<TokenRow>(
        `INSERT INTO api_tokens (id, name, role, token_hash, created_at, created_by)
         VALUES (@id, @name, @role, @token_hash, @created_at, @created_by) ON CONFLICT DO NOTHING`,
      ),
      delete: db.prepare<[string]>('DELETE FROM api_tokens WHERE id = ?'),
      setRole: db.prepare<[Role, string]>('UPDATE api_tokens SET role = ? WHERE id = ?'),
    };
  }

  /** The token whose sha256 is `hash`, if any. */
  byHash(hash: string): TokenRecord | undefined {
    return this.#byHash.get(hash, () => {
      const row = this.#stmts.byHash.get(hash);
      return row ? toRecord(row) : undefined;
    });
  }

  /** The token a presented bearer string stands for, if any (looked up by its sha256, the result cached). */
  byToken(presented: string): TokenRecord | undefined {
    return this.#byToken.get(presented, () => this.byHash(hashSecret(presented)));
  }

  /** The token with this id, if any. */
  get(id: string): TokenRecord | undefined {
    const row = this.#stmts.byId.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Every token, oldest first. */
  list(): TokenRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /** How many tokens exist. */
  count(): number {
    return this.#stmts.count.get()?.n ?? 0;
  }

  /** Inserts a token; false when its id or name exists already. */
  insert(record: TokenRecord, hash: string): boolean {
    this.#byHash.invalidate();
    this.#byToken.invalidate();
    return (
      this.#stmts.insert.run({
        id: record.id,
        name: record.name,
        role: record.role,
        token_hash: hash,
        created_at: record.createdAt,
        created_by: record.createdBy,
      }).changes === 1
    );
  }

  /** Changes a token's role (its secret stays); false when there was none. */
  setRole(id: string, role: Role): boolean {
    this.#byHash.invalidate();
    this.#byToken.invalidate();
    return this.#stmts.setRole.run(role, id).changes === 1;
  }

  /** Deletes a token; false when there was none. */
  delete(id: string): boolean {
    this.#byHash.invalidate();
    this.#byToken.invalidate();
    return this.#stmts.delete.run(id).changes === 1;
  }
}
