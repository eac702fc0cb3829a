import { z } from 'zod';
import type { FindingSummarySchema } from '../pipeline/notification.js';

/** The guide's stages, in order. workflows/deploy-kubeflow.yaml runs exactly these (a test keeps them in step). */
export const STAGES = ['preflight', 'fetch', 'configure', 'gate', 'mirror', 'apply', 'wait-cluster', 'endpoint', 'verify'] as const;
export type StageName = (typeof STAGES)[number];

/** Stages that run as Cloud Build jobs; their result arrives on the cloud-builds topic. */
export type BuildStage = Extract<StageName, 'fetch' | 'configure' | 'mirror' | 'apply' | 'endpoint'>;

/**
 * What stages hand on to later ones through the workflow: `package` (the blueprint package in
 * Cloud Storage), `manifests` (its hydrated `.build/`), `cluster` (projects/P/locations/L/clusters/N).
 */
const STAGE_INPUTS: Readonly<Record<StageName, readonly string[]>> = {
  preflight: [],
  fetch: [],
  configure: ['package'],
  gate: ['manifests'],
  mirror: ['package'],
  apply: ['package'],
  'wait-cluster': ['cluster'],
  endpoint: ['package', 'cluster'],
  verify: ['cluster'],
};

const MAX_INPUTS = 50;
const InputsSchema = z
  .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/), z.string().max(2000))
  .refine((inputs) => Object.keys(inputs).length <= MAX_INPUTS, `at most ${MAX_INPUTS} inputs`);

const DEPLOYMENT_ID = z.string().regex(/^[a-z][-a-z0-9]{2,62}$/);

/**
 * What the workflow publishes each time it asks a stage. `attempt` counts the workflow's retries
 * of the stage and `poll` the asks within one attempt while the stage reports waiting; each ask
 * has its own callback endpoint. `inputs` are the outputs of the stages before it.
 */
export const StageRequestSchema = z.object({
  kind: z.literal('run'),
  deploymentId: DEPLOYMENT_ID,
  stage: z.enum(STAGES),
  attempt: z.number().int().min(1).max(1000),
  poll: z.number().int().min(1).max(100_000),
  inputs: InputsSchema,
  callbackUrl: z.url(),
});
export type StageRequest = z.infer<typeof StageRequestSchema>;

/** What the workflow publishes when it gives up, so the deployment record says where and why. */
export const DeploymentFailedSchema = z.object({
  kind: z.literal('failed'),
  deploymentId: DEPLOYMENT_ID,
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

/** Each input: the stage that produces it and the form it takes. */
const INPUT_SOURCES: Readonly<Record<string, { stage: StageName; valid: (value: string) => boolean; form: string }>> = {
  package: { stage: 'fetch', valid: (value) => parseStorageUrl(value) !== undefined, form: 'gs://BUCKET/PATH' },
  manifests: { stage: 'configure', valid: (value) => parseStorageUrl(value) !== undefined, form: 'gs://BUCKET/PATH' },
  cluster: { stage: 'apply', valid: (value) => parseClusterResourceName(value) !== undefined, form: 'projects/P/locations/L/clusters/N' },
};

/** What is wrong with the inputs a stage was given, in words; empty when it has all it needs. */
export function inputProblems(stage: StageName, inputs: Readonly<Record<string, string>>): string[] {
  return STAGE_INPUTS[stage].flatMap((name) => {
    const source = INPUT_SOURCES[name]!;
    const value = inputs[name];
    if (!value) return [`${stage} needs the input ${name}, which ${source.stage} hands on`];
    return source.valid(value) ? [] : [`input ${name} ${JSON.stringify(value)} is not ${source.form}`];
  });
}

/** Orders two asks of a stage: negative when `a` came before `b` (a late copy of an older ask). */
export function compareAsks(a: { attempt: number; poll: number }, b: { attempt: number; poll: number }): number {
  return a.attempt - b.attempt || a.poll - b.poll;
}

/** Cloud Build tags that tie a build to its deployment, stage and stage attempt. */
export function buildTags(deploymentId: string, stage: StageName, attempt: number): string[] {
  return ['kfguard', `deployment-${deploymentId}`, `stage-${stage}`, `attempt-${attempt}`];
}

/** The Cloud Build list filter that finds the builds carrying exactly these tags. */
export function buildTagsFilter(tags: readonly string[]): string {
  return tags.map((tag) => `tags="${tag}"`).join(' AND ');
}

export function stageFromTags(tags: readonly string[]): { deploymentId: string; stage: StageName; attempt: number } | undefined {
  const value = (prefix: string) => tags.find((tag) => tag.startsWith(prefix))?.slice(prefix.length);
  const deploymentId = value('deployment-');
  const stage = value('stage-');
  const attempt = Number(value('attempt-'));
  return deploymentId && stage && (STAGES as readonly string[]).includes(stage) && Number.isInteger(attempt) && attempt > 0 ? { deploymentId, stage: stage as StageName, attempt } : undefined;
}

const CLUSTER_NAME = /^projects\/([a-z][-a-z0-9]{4,28}[a-z0-9])\/locations\/([a-z]+-[a-z]+[0-9]+(?:-[a-z])?)\/clusters\/([a-z][-a-z0-9]{0,38}[a-z0-9]?)$/;

/** The `cluster` output: the Container API's resource name. */
export function clusterResourceName(cluster: { project: string; location: string; name: string }): string {
  return `projects/${cluster.project}/locations/${cluster.location}/clusters/${cluster.name}`;
}

export function parseClusterResourceName(text: string): { project: string; location: string; name: string } | undefined {
  const match = CLUSTER_NAME.exec(text);
  return match ? { project: match[1]!, location: match[2]!, name: match[3]! } : undefined;
}

/** A `gs://BUCKET/PATH` input, split. */
export function parseStorageUrl(text: string): { bucket: string; path: string } | undefined {
  const match = /^gs:\/\/([a-z0-9][-a-z0-9_.]{1,220}[a-z0-9])\/(.*)$/.exec(text);
  return match ? { bucket: match[1]!, path: match[2]! } : undefined;
}
