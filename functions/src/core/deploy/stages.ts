import { z } from 'zod';
import type { FindingSummarySchema } from '../pipeline/notification.js';

/** The guide's stages, in order. workflows/deploy-kubeflow.yaml runs exactly these (a test keeps them in step). */
export const STAGES = ['preflight', 'fetch', 'configure', 'gate', 'mirror', 'apply', 'wait-cluster', 'endpoint', 'verify'] as const;
export type StageName = (typeof STAGES)[number];

/** Stages that run as Cloud Build jobs; their result arrives on the cloud-builds topic. */
export const BUILD_STAGES: ReadonlySet<StageName> = new Set(['fetch', 'configure', 'mirror', 'apply', 'endpoint']);

/**
 * What the workflow publishes for each stage attempt. Each attempt (a retry, or a poll of a
 * waiting stage) has its own callback endpoint, which is what identifies the attempt.
 */
export const StageRequestSchema = z.object({
  kind: z.literal('run'),
  deploymentId: z.string().regex(/^[a-z][-a-z0-9]{2,62}$/),
  stage: z.enum(STAGES),
  callbackUrl: z.url(),
});
export type StageRequest = z.infer<typeof StageRequestSchema>;

/** What the workflow publishes when it gives up, so the deployment record says where and why. */
export const DeploymentFailedSchema = z.object({
  kind: z.literal('failed'),
  deploymentId: z.string().regex(/^[a-z][-a-z0-9]{2,62}$/),
  stage: z.enum(STAGES),
  reason: z.string().max(4000),
});

export const StageMessageSchema = z.discriminatedUnion('kind', [StageRequestSchema, DeploymentFailedSchema]);
export type StageMessage = z.infer<typeof StageMessageSchema>;

/**
 * What a stage reports through the workflow's callback: done, failed for good, worth retrying, or
 * still waiting (the workflow polls again after a pause).
 */
export interface StageResult {
  status: 'succeeded' | 'failed' | 'retryable' | 'waiting';
  reason?: string;
  outputs?: Record<string, string>;
  findings?: z.infer<typeof FindingSummarySchema>[];
}

/** Cloud Build tags that tie a build to its deployment, stage and stage attempt. */
export function buildTags(deploymentId: string, stage: StageName, attempt: number): string[] {
  return ['kfguard', `deployment-${deploymentId}`, `stage-${stage}`, `attempt-${attempt}`];
}

export function stageFromTags(tags: readonly string[]): { deploymentId: string; stage: StageName; attempt: number } | undefined {
  const value = (prefix: string) => tags.find((tag) => tag.startsWith(prefix))?.slice(prefix.length);
  const deploymentId = value('deployment-');
  const stage = value('stage-');
  const attempt = Number(value('attempt-'));
  return deploymentId && stage && (STAGES as readonly string[]).includes(stage) && Number.isInteger(attempt) && attempt > 0 ? { deploymentId, stage: stage as StageName, attempt } : undefined;
}
