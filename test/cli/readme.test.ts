import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** The README's quick start: each `npx kfguard` command, with the output excerpt printed under it. */
function quickStart(): { args: string[]; excerpt: string }[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Try it on the bundled incident'), readme.indexOf('## `npm start`'));
  return [...section.matchAll(/```sh\nnpx kfguard (.+)\n```\n\n```text\n([\s\S]*?)```/g)].map((match) => ({ args: match[1]!.split(' '), excerpt: match[2]! }));
}

const words = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('the README quick start', () => {
  const commands = quickStart();

  it('shows analyze, check and plan on the bundled samples', () => {
    expect(commands.map((command) => command.args[0])).toEqual(['analyze', 'check', 'plan']);
  });

  it.each(commands.map((command) => [command.args[0], command] as const))('%s prints what the README says it prints', async (_, { args, excerpt }) => {
    // As on a terminal 100 columns wide: a table, wrapped where the README shows it wrapped.
    const result = await runCli(args, { terminalColumns: 100 });
    expect(result.stderr).toBe('');
    expect(words(result.stdout)).toContain(words(excerpt));
  });
});
