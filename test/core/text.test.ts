import { describe, expect, it } from 'vitest';
import { columns, formatDuration, hanging, wrap } from '../../functions/src/core/report/text.js';
import { renderDeploymentTimeline } from '../../functions/src/core/report/deployment-report.js';
import type { DeploymentRecord, StageRecord } from '../../functions/src/core/deploy/records.js';
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

/** The words of a text as a sorted list, split where kfguard may break a line: what wrapping must keep whole. */
const pieces = (text: string): string[] => text.split(/\s+|(?<=,)/).filter(Boolean).sort();
const longest = (text: string): number => Math.max(...text.split('\n').map((line) => line.length));

describe('wrapping at word boundaries, never inside a word', () => {
  const prose = 'The control plane (172.16.0.32/28) cannot reach the istiod webhook on tcp:15017 because kf-prod-deny-all-ingress at priority 900 denies it';

  it('wraps prose to the width, keeping every word', () => {
    const wrapped = wrap(prose, 30);
    expect(longest(wrapped)).toBeLessThanOrEqual(30);
    expect(wrapped.split('\n').length).toBeGreaterThan(3);
    expect(pieces(wrapped)).toEqual(pieces(prose));
  });

  it('breaks a list of ranges after a comma, and keeps a word longer than the width whole on its own line', () => {
    expect(wrap('35.191.0.0/16,130.211.0.0/22,209.85.152.0/22', 30).split('\n')).toEqual(['35.191.0.0/16,130.211.0.0/22,', '209.85.152.0/22']);
    expect(wrap('a operation-1763629320511-7c1f2e9a b', 10).split('\n')).toEqual(['a', 'operation-1763629320511-7c1f2e9a', 'b']);
  });

  it('hangs the following lines under the text after a prefix', () => {
    expect(hanging('    Fix: ', 'allow tcp:15017 from the control plane to the pod range', 30).split('\n')).toEqual([
      '    Fix: allow tcp:15017 from',
      '         the control plane to',
      '         the pod range',
    ]);
  });

  const rows = [
    ['SEVERITY', 'RULE', 'FLOW'],
    ['ERROR', 'webhook-port-blocked', 'istiod 172.16.0.32/28 → 10.1.0.0/16 tcp:15017'],
    ['WARNING', 'health-check-blocked', '35.191.0.0/16,130.211.0.0/22 → node tcp:10256'],
  ];

  it('leaves a table that fits as it is', () => {
    expect(columns(rows, 200)).toBe(columns(rows));
    expect(columns(rows).split('\n')[1]).toBe('ERROR     webhook-port-blocked  istiod 172.16.0.32/28 → 10.1.0.0/16 tcp:15017');
  });

  it('narrows the widest column of a table that does not fit, wrapping its cells in place', () => {
    const table = columns(rows, 60);
    expect(longest(table)).toBeLessThanOrEqual(60);
    expect(table.split('\n')).toEqual([
      'SEVERITY  RULE                  FLOW',
      'ERROR     webhook-port-blocked  istiod 172.16.0.32/28 →',
      '                                10.1.0.0/16 tcp:15017',
      'WARNING   health-check-blocked  35.191.0.0/16,130.211.0.0/22',
      '                                → node tcp:10256',
    ]);
    expect(pieces(table)).toEqual(pieces(rows.flat().join(' ')));
  });

  it('never cuts a word to fit: a column keeps its longest word, and the line is as narrow as that allows', () => {
    const table = columns(rows, 20);
    expect(pieces(table)).toEqual(pieces(rows.flat().join(' ')));
    expect(longest(table)).toBe('SEVERITY  webhook-port-blocked  35.191.0.0/16,'.length);
  });

  it("prints a stage's whole report in the deployment timeline, wrapped, or on one line when unbounded", () => {
    const reason = 'CREATE_CLUSTER operation-1763629320511-7c1f2e9a (cluster kf-prod, us-central1) has been RUNNING for 1d 3h, past the 45m threshold. Nodes that cannot reach the control plane or pass health checks keep a private cluster provisioning.';
    const deployment = { id: 'kf-prod-2026-11-20', status: 'failed', failedStage: 'wait-cluster', reason } as DeploymentRecord;
    const stage = { stage: 'wait-cluster', status: 'failed', attempt: 1, polls: 3, startedAt: '2026-11-20T10:00:00.000Z', finishedAt: '2026-11-21T13:00:00.000Z', reason } as StageRecord;
    const wrapped = renderDeploymentTimeline(deployment, [stage], new Date('2026-11-22T00:00:00Z'), 100);
    expect(longest(wrapped)).toBeLessThanOrEqual(100);
    expect(wrapped).not.toContain('…');
    const lines = wrapped.split('\n');
    expect(lines[lines.findIndex((line) => line.startsWith('STAGE')) + 1]).toBe('wait-cluster  failed  1         3      2026-11-20T10:00:00.000Z  1d 3h');
    expect(wrapped).toContain('\n    CREATE_CLUSTER operation-1763629320511-7c1f2e9a (cluster kf-prod, us-central1) has been RUNNING\n    for 1d 3h,');
    // The header and the stage each say it all.
    expect(pieces(wrapped).filter((piece) => piece === 'provisioning.')).toHaveLength(2);
    const wide = renderDeploymentTimeline(deployment, [stage], new Date('2026-11-22T00:00:00Z'));
    expect(wide.split('\n')).toEqual([`kf-prod-2026-11-20: failed at wait-cluster: ${reason}`, 'STAGE         STATUS  ATTEMPTS  POLLS  STARTED                   DURATION', 'wait-cluster  failed  1         3      2026-11-20T10:00:00.000Z  1d 3h', `    ${reason}`, '']);
  });
});
