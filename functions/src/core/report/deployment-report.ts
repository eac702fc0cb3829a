import { orderedStages, stageSeconds, type DeploymentRecord, type StageRecord } from '../deploy/records.js';
import { columns, formatDuration, hanging, wrap } from './text.js';

const REPORT_INDENT = '    ';

/** `width` is where the table wraps its cells at word boundaries (unbounded: one line a deployment). */
export function renderDeploymentList(deployments: readonly DeploymentRecord[], width = Number.POSITIVE_INFINITY): string {
  if (deployments.length === 0) return 'No deployments (kfguard deploy REQUEST.json).\n';
  const rows = [['DEPLOYMENT', 'STATUS', 'STAGE', 'UPDATED'], ...deployments.map((d) => [d.id, d.status, d.failedStage ?? d.stage ?? '', d.updatedAt])];
  return `${columns(rows, width)}\n`;
}

/**
 * One deployment and its stages in order: status, attempts (the workflow's retries), polls while
 * waiting, start and duration, with what each reported under it, whole: it wraps, it is not cut.
 * Under the row rather than in a column, since a report holds build log URLs and operation ids
 * that no column beside five others could fit.
 */
export function renderDeploymentTimeline(deployment: DeploymentRecord, stages: readonly StageRecord[], now: Date, width = Number.POSITIVE_INFINITY): string {
  const header = wrap(`${deployment.id}: ${deployment.status}${deployment.failedStage ? ` at ${deployment.failedStage}: ${deployment.reason ?? ''}` : ''}`, width);
  const lines = [
    ['STAGE', 'STATUS', 'ATTEMPTS', 'POLLS', 'STARTED', 'DURATION'],
    ...orderedStages(stages).flatMap((s) => [[s.stage, s.status, String(s.attempt), String(s.polls), s.startedAt, formatDuration(stageSeconds(s, now))], ...(s.reason ? [hanging(REPORT_INDENT, s.reason, width)] : [])]),
  ];
  return `${header}\n${columns(lines, width)}\n`;
}
