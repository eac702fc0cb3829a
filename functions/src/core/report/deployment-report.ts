import { orderedStages, stageSeconds, type DeploymentRecord, type StageRecord } from '../deploy/records.js';
import { columns, formatDuration } from './text.js';

export function renderDeploymentList(deployments: readonly DeploymentRecord[]): string {
  if (deployments.length === 0) return 'No deployments (kfguard deploy REQUEST.json).\n';
  const rows = [['DEPLOYMENT', 'STATUS', 'STAGE', 'UPDATED'], ...deployments.map((d) => [d.id, d.status, d.failedStage ?? d.stage ?? '', d.updatedAt])];
  return `${columns(rows)}\n`;
}

/** One deployment and its stages in order: status, attempts (the workflow's retries), polls while waiting, start, duration and what each reported. */
export function renderDeploymentTimeline(deployment: DeploymentRecord, stages: readonly StageRecord[], now: Date): string {
  const header = `${deployment.id}: ${deployment.status}${deployment.failedStage ? ` at ${deployment.failedStage}: ${deployment.reason ?? ''}` : ''}\n`;
  const rows = [
    ['STAGE', 'STATUS', 'ATTEMPTS', 'POLLS', 'STARTED', 'DURATION', 'DETAIL'],
    ...orderedStages(stages).map((s) => [s.stage, s.status, String(s.attempt), String(s.polls), s.startedAt, formatDuration(stageSeconds(s, now)), (s.reason ?? '').slice(0, 120)]),
  ];
  return `${header}${columns(rows)}\n`;
}
