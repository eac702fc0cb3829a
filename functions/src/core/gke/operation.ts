import { z } from 'zod';
import { lastSegment, projectFromSelfLink } from '../model/cluster.js';
import { shellArg } from '../firewall/proposal.js';

/** A GKE Operation (container v1), as `gcloud container operations list/describe --format=json` and the API return it. */
export const GkeOperationSchema = z.looseObject({
  name: z.string().min(1),
  operationType: z.string().optional(),
  status: z.string().optional(),
  detail: z.string().optional(),
  statusMessage: z.string().optional(),
  selfLink: z.string().optional(),
  targetLink: z.string().optional(),
  location: z.string().optional(),
  zone: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  error: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional().nullable(),
  clusterConditions: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional(),
  progress: z.looseObject({ stages: z.array(z.looseObject({ name: z.string().optional(), status: z.string().optional() })).optional() }).optional().nullable(),
});
export type GkeOperation = z.infer<typeof GkeOperationSchema>;

/** What kfguard tracks of one operation, whether it came from the API, an export or audit logs. */
export interface OperationState {
  name: string;
  type: string;
  status: 'PENDING' | 'RUNNING' | 'DONE' | 'ABORTING' | 'UNKNOWN';
  project?: string;
  location?: string;
  cluster?: string;
  startTime?: string;
  endTime?: string;
  error?: string;
  /** Condition codes GKE attached (GCE_STOCKOUT, GCE_QUOTA_EXCEEDED...). */
  conditions: string[];
  stage?: string;
}

const STATUSES = new Set(['PENDING', 'RUNNING', 'DONE', 'ABORTING']);

export function normalizeStatus(status: string | undefined): OperationState['status'] {
  const upper = status?.toUpperCase();
  return upper && STATUSES.has(upper) ? (upper as OperationState['status']) : 'UNKNOWN';
}

function clusterFromTarget(targetLink: string | undefined): string | undefined {
  const match = targetLink?.match(/\/clusters\/([^/]+)/);
  return match?.[1];
}

export function operationStateFromApi(op: GkeOperation): OperationState {
  const state: OperationState = {
    name: lastSegment(op.name) ?? op.name,
    type: op.operationType ?? 'TYPE_UNSPECIFIED',
    status: normalizeStatus(op.status),
    conditions: (op.clusterConditions ?? []).map((c) => c.code).filter((c): c is string => Boolean(c)),
  };
  const project = projectFromSelfLink(op.selfLink) ?? projectFromSelfLink(op.targetLink);
  if (project) state.project = project;
  const location = op.location ?? op.zone ?? op.selfLink?.match(/\/(?:locations|zones)\/([^/]+)\//)?.[1];
  if (location) state.location = location;
  const cluster = clusterFromTarget(op.targetLink);
  if (cluster) state.cluster = cluster;
  if (op.startTime) state.startTime = op.startTime;
  if (op.endTime) state.endTime = op.endTime;
  // Only `error` says the operation failed: statusMessage also narrates operations that went well.
  const error = op.error?.message || (op.error?.code ? `code ${op.error.code}` : undefined);
  if (error) state.error = error;
  const running = op.progress?.stages?.find((stage) => stage.status === 'RUNNING');
  if (running?.name) state.stage = running.name;
  return state;
}

/** Minutes after which a not-DONE operation counts as stuck; zonal creates usually take 5-15 min, tools time out at 30-60. */
export const DEFAULT_STUCK_MINUTES: Readonly<Record<string, number>> = {
  CREATE_CLUSTER: 45,
  DELETE_CLUSTER: 30,
  UPDATE_CLUSTER: 45,
  UPGRADE_MASTER: 60,
  UPGRADE_NODES: 120,
  REPAIR_CLUSTER: 60,
  AUTO_REPAIR_NODES: 60,
  CREATE_NODE_POOL: 30,
  DELETE_NODE_POOL: 30,
  SET_NODE_POOL_SIZE: 30,
  RESIZE_CLUSTER: 60,
  default: 60,
};

export type StuckThresholds = Readonly<Record<string, number>>;

export function stuckThresholdMinutes(type: string, thresholds: StuckThresholds): number {
  return thresholds[type] ?? thresholds['default'] ?? DEFAULT_STUCK_MINUTES['default']!;
}

/** Parses `TYPE=MINUTES` (or `default=MINUTES`) overrides; throws with the offending text. */
export function parseThreshold(text: string): [string, number] {
  const match = text.match(/^([A-Za-z_]+)=(\d{1,6})$/);
  if (!match) throw new Error(`"${text}" is not TYPE=MINUTES (for example CREATE_CLUSTER=45)`);
  const type = match[1]!;
  return [type === 'default' ? type : type.toUpperCase(), Number(match[2])];
}

export function isRegion(location: string): boolean {
  return !/-[a-z]$/.test(location);
}

/** The guide's next step for a stuck or failed operation. */
export function describeOperationCommand(op: OperationState): string {
  const location = op.location ? ` --${isRegion(op.location) ? 'region' : 'zone'}=${shellArg(op.location)}` : '';
  return `gcloud --project=${shellArg(op.project ?? 'PROJECT')} container operations describe${location} ${shellArg(op.name)}`;
}

export function runningMinutes(op: OperationState, now: Date): number | undefined {
  if (!op.startTime) return undefined;
  const started = Date.parse(op.startTime);
  return Number.isNaN(started) ? undefined : Math.floor((now.getTime() - started) / 60000);
}

export function isStuck(op: OperationState, now: Date, thresholds: StuckThresholds): boolean {
  if (op.status === 'DONE') return false;
  const minutes = runningMinutes(op, now);
  return minutes !== undefined && minutes >= stuckThresholdMinutes(op.type, thresholds);
}

/** Failed: DONE with an error. An ABORTING operation has not finished failing yet. */
export function isFailed(op: OperationState): boolean {
  return op.status === 'DONE' && op.error !== undefined;
}

/** Merges what a later source says about an operation into what is known; DONE is final. */
export function mergeOperation(known: OperationState | undefined, update: OperationState): OperationState {
  if (!known) return update;
  const merged: OperationState = { ...known, conditions: [...new Set([...known.conditions, ...update.conditions])] };
  for (const key of ['project', 'location', 'cluster', 'error', 'stage', 'endTime'] as const) {
    if (update[key] !== undefined) merged[key] = update[key];
  }
  if (merged.type === 'TYPE_UNSPECIFIED') merged.type = update.type;
  if (update.startTime && (!known.startTime || Date.parse(update.startTime) < Date.parse(known.startTime))) merged.startTime = update.startTime;
  if (known.status !== 'DONE') merged.status = update.status;
  return merged;
}
