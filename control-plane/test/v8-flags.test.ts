import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../dist/v8-flags.js', import.meta.url));

/** The flags a fresh control-plane process sets on itself with `env`. */
function flagsWith(env: Record<string, string>): string {
  const { TETHER_V8_FLAGS: _unset, ...base } = process.env;
  const script = `const m = await import(${JSON.stringify(MODULE)}); console.log(JSON.stringify(m.CP_V8_FLAGS));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...base, ...env },
  });
  return JSON.parse(out.toString()) as string;
}

describe('control-plane V8 flags', () => {
  it('pin the heap growing factor by default; TETHER_V8_FLAGS replaces them, empty for none', () => {
    expect(flagsWith({})).toBe('--heap-growing-percent=200');
    expect(flagsWith({ TETHER_V8_FLAGS: '' })).toBe('');
    expect(flagsWith({ TETHER_V8_FLAGS: '--max-lazy' })).toBe('--max-lazy');
  });
});

describe('tether-cp', () => {
  it('loads the V8 flags before the CLI', () => {
    const bin = readFileSync(fileURLToPath(new URL('../bin/tether-cp.js', import.meta.url)), 'utf8');
    const imports = [...bin.matchAll(/^import .*'(.+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['../dist/v8-flags.js', '../dist/cli/main.js']);
  });
});
