/**
 * Names shared by the code, Terraform (infra/) and the Workflows definition. Terraform's tests
 * read this file, so a topic or collection renamed here is renamed everywhere or the build fails.
 */
export const TOPICS = {
  logEvents: 'kfguard-log-events',
  notifications: 'kfguard-notifications',
  sweepTicks: 'kfguard-sweep-ticks',
  deployRequests: 'kfguard-deploy-requests',
  stageRequests: 'kfguard-stage-requests',
  /** Cloud Build publishes build status to a topic of exactly this name. */
  buildNotifications: 'cloud-builds',
  deadLetter: 'kfguard-dead-letter',
} as const;

export const COLLECTIONS = {
  clusters: 'clusters',
  findings: 'findings',
  events: 'events',
  operations: 'operations',
  notifications: 'notifications',
  rejected: 'rejected',
  deployments: 'deployments',
} as const;

/** Cloud Function names (entry points), as Terraform deploys them. */
export const FUNCTIONS = {
  logSink: 'logSink',
  healthSweep: 'healthSweep',
  notifier: 'notifier',
  deployTrigger: 'deployTrigger',
  stageRunner: 'stageRunner',
  dashboard: 'dashboard',
} as const;

export function topicPath(project: string, topic: string): string {
  return `projects/${project}/topics/${topic}`;
}
