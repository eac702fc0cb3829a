import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../functions/src/core/report/text.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

describe('formatDuration: one way to print how long, in its two largest units', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [725, '12m 5s'],
    [45 * 60, '45m'],
    [2 * 3600, '2h'],
    [2 * 3600 + 30 * 60 + 59, '2h 30m'],
    [24 * 3600 - 1, '23h 59m'],
    [24 * 3600, '1d'],
    [27 * 3600 + 59 * 60, '1d 3h'],
    [40 * 86_400 + 5 * 3600, '40d 5h'],
  ])('%d seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('rounds down, and never prints a negative time (a clock a little behind)', () => {
    expect(formatDuration(59.9)).toBe('59s');
    expect(formatDuration(-3)).toBe('0s');
  });
});

it('an operation stuck for over a day says so in days, its threshold in minutes', async () => {
  // The fixture's CREATE_CLUSTER started at 2026-03-02T10:00:00Z and is still RUNNING.
  const result = await runCli(['analyze', '-', '--format', 'json', '--operations', fixturePath('gke/operations-list.json'), '--now', '2026-03-03T13:07:00Z'], { stdin: '' });
  const stuck = JSON.parse(result.stdout).findings.find((finding: any) => finding.rule === 'operation-stuck');
  expect(stuck.explanation).toContain('has been RUNNING for 1d 3h, past the 45m threshold.');
});
