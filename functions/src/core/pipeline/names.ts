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
  /** How many per-port findings each cause has, so a port scan folds into one finding past the limit. */
  portGroups: 'portGroups',
  /** Where the sweep's reads got to (the Cloud Logging backstop, per project). */
  cursors: 'cursors',
  /** Each registered cluster's latest live network, as the sweep read it: what the log sink diagnoses against. */
  snapshots: 'snapshots',
} as const;

/** Below `snapshots/{cluster}`: the parts of the snapshot's text, `{generation}-{index}`. */
export const SNAPSHOT_PARTS = 'parts';

/** Cloud Function names (entry points), as Terraform deploys them. */
export const FUNCTIONS = {
  logSink: 'logSink',
  healthSweep: 'healthSweep',
  notifier: 'notifier',
  deployTrigger: 'deployTrigger',
  stageRunner: 'stageRunner',
  dashboard: 'dashboard',
} as const;

/** The Workflows workflow that deploys Kubeflow (workflows/deploy-kubeflow.yaml). */
export const WORKFLOW_NAME = 'kfguard-deploy-kubeflow';

/** Functions served over HTTP (behind IAM) rather than triggered by Pub/Sub. */
export type HttpFunction = 'dashboard';
export type EventFunction = Exclude<keyof typeof FUNCTIONS, HttpFunction>;

export function isEventFunction(name: keyof typeof FUNCTIONS): name is EventFunction {
  return !(name in HTTP_FUNCTIONS);
}

export interface FunctionSpec {
  maxInstances: number;
  /** Requests one instance serves at once. */
  concurrency: number;
  timeoutSeconds: number;
  memory: string;
}

export interface EventFunctionSpec extends FunctionSpec {
  /** Topics whose messages trigger the function; the first is its own trigger, others are extra Eventarc triggers. */
  topics: readonly string[];
}

/**
 * How each Pub/Sub-triggered function is deployed. Terraform reads it (infra/modules/kfguard/names.tf.json)
 * and so does the local stack, so both run the same topology. The notifier and the sweep are one
 * instance serving one event at a time: the notifier's Chat quota and exactly-once sends rely on it.
 */
export const EVENT_FUNCTIONS: Readonly<Record<EventFunction, EventFunctionSpec>> = {
  logSink: { topics: [TOPICS.logEvents], maxInstances: 20, concurrency: 1, timeoutSeconds: 60, memory: '512Mi' },
  notifier: { topics: [TOPICS.notifications], maxInstances: 1, concurrency: 1, timeoutSeconds: 120, memory: '256Mi' },
  healthSweep: { topics: [TOPICS.sweepTicks], maxInstances: 1, concurrency: 1, timeoutSeconds: 540, memory: '1Gi' },
  deployTrigger: { topics: [TOPICS.deployRequests], maxInstances: 5, concurrency: 1, timeoutSeconds: 60, memory: '256Mi' },
  stageRunner: { topics: [TOPICS.stageRequests, TOPICS.buildNotifications], maxInstances: 10, concurrency: 1, timeoutSeconds: 540, memory: '1Gi' },
};

/**
 * The read-only dashboard: a few people reading Firestore. A 256 MiB instance gets 0.167 vCPU, and
 * Cloud Run serves one request at a time below 1 vCPU, so a few small instances rather than one
 * busy one (test/infra/function-topology.test.ts holds every spec here to Cloud Run's rules).
 */
export const HTTP_FUNCTIONS: Readonly<Record<HttpFunction, FunctionSpec>> = {
  dashboard: { maxInstances: 5, concurrency: 1, timeoutSeconds: 30, memory: '256Mi' },
};

/** A handler gives up this long before its function's timeout, so it fails cleanly and Pub/Sub redelivers. */
export const HANDLER_DEADLINE_MARGIN_SECONDS = 10;

/** Deliveries before Pub/Sub moves a message to the dead-letter topic. */
export const MAX_DELIVERY_ATTEMPTS = 10;

export function topicPath(project: string, topic: string): string {
  return `projects/${project}/topics/${topic}`;
}
