import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, openDatabase } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('openDatabase', () => {
  const dirs: (() => void)[] = [];
  afterEach(() => dirs.splice(0).forEach((cleanup) => cleanup()));

  it('creates the file with mode 0600, in WAL with synchronous=FULL, savepoint journals in memory', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const path = join(dir, 'nested', 'tether.db');
    const db = openDatabase(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    db.close();
  });

  it('runs migrations once: reopening and re-migrating changes nothing', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const path = join(dir, 'tether.db');
    const latest = MIGRATIONS.at(-1)!.version;
    const db = openDatabase(path);
    db.prepare("INSERT INTO agents (id, secret_hash, created_at) VALUES ('a1', 'x', 1)").run();
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    expect(migrate(db)).toBe(latest);
    db.close();
    const again = openDatabase(path);
    expect(again.pragma('user_version', { simple: true })).toBe(latest);
    expect(again.prepare('SELECT count(*) AS n FROM agents').get()).toEqual({ n: 1 });
    again.close();
  });
});
