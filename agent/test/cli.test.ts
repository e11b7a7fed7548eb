import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { AGENT_VERSION } from '../src/version.js';
import { startBroker, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  process.exitCode = undefined;
});

function captureStream(stream: NodeJS.WriteStream): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  cleanups.push(() => spy.mockRestore());
  return lines;
}

const argv = (...args: string[]) => ['node', 'tether-agent', ...args];

describe('tether-agent CLI', () => {
  it.each([
    [
      ['run', '--control-plane', 'http://hub:8080', '--id', 'a', '--secret', 's'],
      /unsupported control plane URL scheme "http:"/,
    ],
    [['run', '--control-plane', 'mqtt://hub', '--id', 'a'], /missing secret/],
    [['run', '--control-plane', 'mqtt://hub', '--secret', 's'], /missing agent id/],
    [
      ['run', '--control-plane', 'mqtt://hub', '--id', 'a', '--secret', 's', '--digest-interval', 'soon'],
      /digest interval/,
    ],
    [['run', '--bogus'], /unknown option/],
  ])('exits with status 2 and a clear message: %s', async (args, message) => {
    const stderr = captureStream(process.stderr);
    await main(argv(...args));
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toMatch(message);
  });

  it('prints help with status 0', async () => {
    const stdout = captureStream(process.stdout);
    await main(argv('run', '--help'));
    expect(process.exitCode).toBe(0);
    expect(stdout.join('')).toMatch(/--control-plane <url>/);
  });

  it.each([[[]], [['run']], [['enroll']], [['report']]])(
    'shows an example in the help of %j',
    async (command) => {
      const stdout = captureStream(process.stdout);
      await main(argv(...command, '--help'));
      expect(stdout.join('')).toMatch(/\nExamples?:\n {2}\$ .*tether-agent /);
    },
  );

  it('prints its version on stdout', async () => {
    const stdout = captureStream(process.stdout);
    await main(argv('--version'));
    expect(process.exitCode).toBe(0);
    expect(stdout.join('').trim()).toBe(AGENT_VERSION);
  });

  it('prints exactly one JSON line with the API port, and shuts down cleanly on SIGTERM', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const stdout = captureStream(process.stdout);
    let exitCode: number | undefined;
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      exitCode = code;
    }) as typeof process.exit);
    cleanups.push(() => exit.mockRestore());

    await main(
      argv(
        'run',
        '--control-plane',
        broker.url,
        '--id',
        'cli-1',
        '--secret',
        'sekrit',
        '--api-port',
        '0',
        '--state-dir',
        path.join(dir, 's'),
        '--log-level',
        'silent',
      ),
    );
    expect(stdout).toHaveLength(1);
    const { api } = JSON.parse(stdout[0]!) as { api: number };
    expect(api).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${api}/healthz`)).status).toBe(200);
    await waitFor(() => broker.published('advert-snapshot').length === 1, 'snapshot');

    process.emit('SIGTERM');
    await waitFor(() => exitCode !== undefined, 'exit');
    expect(exitCode).toBe(0);
    expect(broker.published('agent-status').at(-1)?.json).toMatchObject({
      status: 'offline',
      agentId: 'cli-1',
    });
    await expect(fetch(`http://127.0.0.1:${api}/healthz`)).rejects.toThrow();
  });
});
