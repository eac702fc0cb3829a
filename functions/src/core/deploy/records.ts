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
  /** When this record's creator set out to start the workflow (a crashed start is taken over after a while). */
  startingAt: string;
}

export type StageStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'retryable';

/** `deployments/{id}/stages/{stage}`: the stage's progress and result. */
export interface StageRecord {
  stage: StageName;
  status: StageStatus;
  attempt: number;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  reason?: string;
  callbackUrl?: string;
  callbackPosted?: boolean;
  buildId?: string;
  result?: StageResult;
  history: { at: string; status: StageStatus; attempt: number; reason?: string }[];
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

export function formatSeconds(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
}
