import { STAGES, type StageName, type StageResult } from './stages.js';

export type DeploymentStatus = 'accepted' | 'running' | 'succeeded' | 'failed';

/** `deployments/{id}`: the request (no secret in it, only references) and where the run is. */
export interface DeploymentRecord {
  id: string;
  request: Record<string, unknown>;
  status: DeploymentStatus;
  stage?: StageName;
  failedStage?: StageName;
  reason?: string;
  executionName?: string;
  createdAt: string;
  updatedAt: string;
  /** When the current start of the workflow began (a crashed start is taken over after a while). */
  startingAt: string;
  /** Which start that is: the record's creator is 1, each takeover of a crashed start adds one. */
  startGeneration?: number;
}

export type StageStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'retryable';

/**
 * `deployments/{id}/stages/{stage}`: the stage's progress and result. The fields that belong to
 * one ask are null once a new ask begins: a write that leaves a field out keeps it in the local
 * Firestore emulator, so clearing is explicit.
 */
export interface StageRecord {
  stage: StageName;
  status: StageStatus;
  /** The workflow's attempt at the stage (its retries), and how often that attempt has asked (its polls while waiting). */
  attempt: number;
  polls: number;
  /** When the stage's first attempt began: waiting and retrying count towards its duration. */
  startedAt: string;
  updatedAt: string;
  finishedAt?: string | null;
  reason?: string | null;
  callbackUrl?: string;
  callbackPosted?: boolean;
  /** Deliveries of the current ask that ran the handler, and what the last failing one threw. */
  deliveries?: number;
  lastError?: string | null;
  buildId?: string | null;
  /** What a build stage hands on once its build succeeds. */
  outputs?: Record<string, string> | null;
  result?: StageResult | null;
  history: { at: string; status: StageStatus; attempt: number; poll: number; reason?: string }[];
}

/** Stages in the order the workflow runs them. */
export function orderedStages<T extends { stage: StageName }>(stages: readonly T[]): T[] {
  return [...stages].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
}

/** How long a stage ran (until now when it has not finished), in whole seconds. */
export function stageSeconds(stage: Pick<StageRecord, 'startedAt' | 'finishedAt'>, now: Date): number {
  const end = stage.finishedAt ? Date.parse(stage.finishedAt) : now.getTime();
  return Math.max(0, Math.round((end - Date.parse(stage.startedAt)) / 1000));
}

