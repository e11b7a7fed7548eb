/** The part of a command-line command (commander's `Command`) that help examples need. */
export interface HelpCommand {
  name(): string;
  readonly commands: readonly HelpCommand[];
  addHelpText(position: 'after', text: string): unknown;
}

/**
 * Appends to each command's `--help` its example (`Example:` then the lines, indented), keyed by the command's path
 * without the program name (`agent add`; `''` for the program itself). Returns the paths of the commands without
 * subcommands that have no example, so a test can keep every command's help showing one.
 */
export function addHelpExamples(program: HelpCommand, examples: Readonly<Record<string, string>>): string[] {
  const missing: string[] = [];
  const visit = (command: HelpCommand, path: string): void => {
    const example = examples[path];
    if (example !== undefined) {
      const lines = example.split('\n').map((line) => `  ${line}`);
      command.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.join('\n')}\n`);
    } else if (command.commands.length === 0) missing.push(path);
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return missing;
}
