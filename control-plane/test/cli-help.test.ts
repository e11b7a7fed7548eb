import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../src/cli/main.js';

/** Every command of the tree with its path (`agent add`; `''` for the program). */
function commands(program: Command): Array<[string, Command]> {
  const all: Array<[string, Command]> = [];
  const visit = (c: Command, path: string): void => {
    all.push([path, c]);
    for (const sub of c.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return all;
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('tether-cp --help', () => {
  const all = commands(createProgram());
  const leaves = all.filter(([, c]) => c.commands.length === 0).map(([path]) => path);

  it('covers the commands an operator needs', () => {
    for (const path of ['agent list', 'grant list', 'grant revoke', 'token list', 'apply', 'export'])
      expect(leaves).toContain(path);
  });

  it.each(all.filter(([, c]) => c.commands.length === 0 || c.parent === null))(
    'shows an example in the help of "%s"',
    (_path, command) => {
      expect(helpOf(command)).toMatch(/\nExamples?:\n {2}\$ .*tether-cp /);
    },
  );

  it('takes the data dir from TETHER_DATA_DIR, else ./data', () => {
    const list = all.find(([path]) => path === 'agent list')![1];
    expect(helpOf(list)).toMatch(/--data-dir <dir>.*\(default: "\.\/data",\s+env:\s+TETHER_DATA_DIR\)/s);
  });
});
