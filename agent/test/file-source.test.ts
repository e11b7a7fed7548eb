import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSource } from '../src/registries/file-source.js';
import type { SourceChange } from '../src/sources/route-source.js';
import { parseSourceUrl } from '../src/sources/source-url.js';
import { tempDir, waitFor } from './helpers.js';

// A real file on disk: a bad edit is logged with the field path and the last good list stays.
describe('FileSource', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('keeps the last good list through a bad edit, logs the field path, and follows the fix', async () => {
    const { dir, remove } = await tempDir();
    cleanup.push(remove);
    const file = path.join(dir, 'services.yaml');
    const write = (text: string, n: number): void => {
      writeFileSync(path.join(dir, `.tmp${n}`), text);
      renameSync(path.join(dir, `.tmp${n}`), file);
    };
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const config = parseSourceUrl(`file://${file}`);
    if (config.type !== 'file') throw new Error('a file source');
    const source = new FileSource(config, logger);
    cleanup.push(() => source.close());
    write('services:\n  - name: a\n    url: http://127.0.0.1:1\n', 0);
    expect((await source.list()).map((s) => s.name)).toEqual(['a']);
    const changes: SourceChange[] = [];
    const errors: Error[] = [];
    await source.watch({ change: (c) => void changes.push(c), error: (e) => void errors.push(e) });

    write('services:\n  - name: a\n    url: http://127.0.0.1:1\n  - name: b\n    url: ftp://x\n', 1);
    await waitFor(() => logged.some((l) => l.includes('services.1.url')), 'the bad edit logged');
    expect(logged.join()).toContain('the last good list stays');
    expect((await source.list()).map((s) => s.name)).toEqual(['a']);
    expect([changes, errors]).toEqual([[], []]);

    write('- name: a\n  url: http://127.0.0.1:1\n- name: b\n  url: http://127.0.0.1:2\n', 2);
    const reset = await waitFor(() => changes.find((c) => c.type === 'reset'), 'the fix followed');
    expect(reset.type === 'reset' && reset.specs.map((s) => `${s.name} ${s.source}`)).toEqual([
      'a file',
      'b file',
    ]);
  });
});
