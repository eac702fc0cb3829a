import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { kfguardProgram } from '../../functions/src/cli/main.js';
import { processIo } from '../../functions/src/cli/io.js';
import { runCli } from '../helpers/cli.js';

/** Every command (by its words, e.g. ['clusters', 'list']) with the choices its --format takes. */
function commandsWithFormat(command: Command, path: string[] = []): [string[], string[]][] {
  const format = command.options.find((option) => option.long === '--format');
  const own: [string[], string[]][] = format ? [[path, format.argChoices ?? []]] : [];
  return [...own, ...command.commands.flatMap((sub) => commandsWithFormat(sub, [...path, sub.name()]))];
}

const COMMANDS = commandsWithFormat(kfguardProgram(processIo(), () => undefined));

describe('--format on every command that takes it', () => {
  it('is found on the commands that print reports', () => {
    expect(COMMANDS.map(([path]) => path.join(' '))).toEqual(expect.arrayContaining(['analyze', 'check', 'findings', 'clusters list', 'deployments']));
  });

  it.each(COMMANDS)('%j lists its allowed values', (_path, choices) => {
    expect(choices.length).toBeGreaterThan(1);
    expect(choices).toContain('json');
  });

  it.each(COMMANDS)('%j refuses an unknown value with exit 2, one line naming the value and the allowed ones', async (path, choices) => {
    const result = await runCli([...path, '--format', 'yaml'], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`kfguard: option '--format <format>' argument 'yaml' is invalid. Allowed choices are ${choices.join(', ')}.\n(run kfguard help for usage)\n`);
  });
});
