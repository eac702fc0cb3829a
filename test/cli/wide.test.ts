import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { kfguardProgram } from '../../functions/src/cli/main.js';
import { processIo } from '../../functions/src/cli/io.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath, RANGE_FLAGS } from '../helpers/fixtures.js';
import { tableRows, tableText } from '../helpers/table.js';

const DENIED = fixturePath('logs/denied-by-rule.json');
/** What wrapping must keep whole, in any order: the words, split where kfguard may break a line. */
const pieces = (text: string): string[] => text.split(/\s+|(?<=,)/).filter(Boolean).sort();
/** Commands are printed on one line, to be copied whole; everything else wraps. */
const prose = (text: string): string[] => text.split('\n').filter((line) => !line.trimStart().startsWith('$ '));

describe('table output wraps at word boundaries to the terminal, or 100 columns off one; --wide does not wrap', () => {
  it('off a terminal: no line past 100 columns but the commands, and not a word lost or cut', async () => {
    const wrapped = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', 'table']);
    const wide = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', 'table', '--wide']);
    expect(wrapped.code).toBe(1);
    expect(Math.max(...prose(wrapped.stdout).map((line) => line.length))).toBeLessThanOrEqual(100);
    expect(Math.max(...prose(wide.stdout).map((line) => line.length))).toBeGreaterThan(100);
    expect(pieces(wrapped.stdout)).toEqual(pieces(wide.stdout));
    expect(tableText(wrapped.stdout).split('\n')[0]).toMatch(/^ID\s+FINDING\s+COUNT\s+FLOW\s+FIREWALL RULE$/);
    // Some rows wrapped, and read back they are the rows --wide prints on one line each.
    expect(tableText(wrapped.stdout).split('\n').length).toBeGreaterThan(tableText(wide.stdout).split('\n').length);
    expect(tableRows(wrapped.stdout)).toEqual(tableRows(wide.stdout));
  });

  it('on a terminal: to its width, as a table by default', async () => {
    const result = await runCli(['analyze', DENIED, ...RANGE_FLAGS], { terminalColumns: 80 });
    expect(tableText(result.stdout).split('\n')[0]).toMatch(/^ID\s+FINDING\s+COUNT\s+FLOW\s+FIREWALL RULE$/);
    expect(Math.max(...prose(result.stdout).map((line) => line.length))).toBeLessThanOrEqual(80);
    const wide = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--wide'], { terminalColumns: 80 });
    expect(pieces(result.stdout)).toEqual(pieces(wide.stdout));
    expect(tableRows(result.stdout)).toEqual(tableRows(wide.stdout));
  });

  it('check wraps the same way', async () => {
    const args = ['check', '--manifests', fixturePath('check/blueprint'), ...RANGE_FLAGS, '--format', 'table'];
    const wrapped = await runCli(args, { terminalColumns: 80 });
    const wide = await runCli([...args, '--wide'], { terminalColumns: 80 });
    expect(Math.max(...prose(wrapped.stdout).map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(pieces(wrapped.stdout)).toEqual(pieces(wide.stdout));
  });

  it('json and markdown are never wrapped', async () => {
    for (const format of ['json', 'markdown']) {
      const narrow = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', format], { terminalColumns: 40 });
      const wide = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', format, '--wide']);
      expect(narrow.stdout).toBe(wide.stdout);
    }
  });

  it('every command that prints a table takes --wide', () => {
    const printsTables = (command: Command, path: string[] = []): string[][] => [
      ...(command.options.some((option) => option.long === '--format' && option.argChoices?.includes('table')) || path.join(' ') === 'demo' ? [path] : []),
      ...command.commands.flatMap((sub) => printsTables(sub, [...path, sub.name()])),
    ];
    const commands = printsTables(kfguardProgram(processIo(), () => undefined));
    expect(commands.map((path) => path.join(' '))).toEqual(expect.arrayContaining(['analyze', 'check', 'findings', 'clusters list', 'deployments', 'demo']));
    const program = kfguardProgram(processIo(), () => undefined);
    for (const path of commands) {
      const command = path.reduce<Command>((parent, name) => parent.commands.find((sub) => sub.name() === name)!, program);
      expect(command.options.map((option) => option.long), path.join(' ')).toContain('--wide');
    }
  });
});
