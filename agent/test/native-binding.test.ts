import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownedAddonCopy } from '@tether/agent';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('ownedAddonCopy', () => {
  it('names the copy by content, keeps an intact one, rewrites a damaged one by rename, and prunes other builds', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'tether-native-')), 'native');
    const first = await ownedAddonCopy({ kind: 'embedded', bytes: bytes('build one') }, dir);
    expect(path.basename(first)).toMatch(/^better_sqlite3-[0-9a-f]{64}\.node$/);
    expect(readFileSync(first, 'utf8')).toBe('build one');
    const inode = statSync(first).ino;
    expect(await ownedAddonCopy({ kind: 'embedded', bytes: bytes('build one') }, dir)).toBe(first);
    expect(statSync(first).ino).toBe(inode);

    writeFileSync(first, 'damaged');
    expect(await ownedAddonCopy({ kind: 'embedded', bytes: bytes('build one') }, dir)).toBe(first);
    expect(readFileSync(first, 'utf8')).toBe('build one');
    expect(statSync(first).ino).not.toBe(inode);

    const source = path.join(path.dirname(dir), 'shipped.node');
    writeFileSync(source, 'build two');
    const second = await ownedAddonCopy({ kind: 'file', file: source }, dir);
    expect(second).not.toBe(first);
    expect(readdirSync(dir)).toEqual([path.basename(second)]);
  });
});
