import { z } from 'zod';
import { zodIssueText } from '../core/logs/log-entry.js';
import { STAGES } from '../core/deploy/stages.js';
import { WORKFLOW_NAME } from '../core/pipeline/names.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z.string().min(1).optional();

const StageSettingsSchema = z.partialRecord(z.enum(STAGES), z.object({ timeout: z.number().positive().optional(), poll: z.number().positive().optional(), budget: z.number().nonnegative().optional() }).strict());

const EnvSchema = z.object({
  KFGUARD_PROJECT: optionalText,
  GOOGLE_CLOUD_PROJECT: optionalText,
  GCLOUD_PROJECT: optionalText,
  KFGUARD_REGION: z.string().default('us-central1'),
  /** Open findings not observed for this long are resolved by the sweep (fractions allowed, for tests). */
  KFGUARD_RESOLVE_AFTER_MINUTES: z.coerce.number().positive().default(60),
  /** The sweep re-publishes outbox notifications still pending after this long (fractions allowed, for tests). */
  KFGUARD_OUTBOX_GRACE_SECONDS: z.coerce.number().nonnegative().default(120),
  /** The sweep's Cloud Logging backstop processes at most this many entries per project and sweep; the rest waits for the next. */
  KFGUARD_BACKSTOP_MAX_ENTRIES: positiveInt(5000),
  /** A handler gives up (and lets Pub/Sub redeliver) after this long. */
  KFGUARD_HANDLER_DEADLINE_MS: positiveInt(30_000),
  /** How long the log sink keeps the registry, and each cluster's snapshot, before reading them again. */
  KFGUARD_REGISTRY_CACHE_MS: positiveInt(30_000),
  /** A cluster's snapshot older than this (its sweeps stopped reading the network) is not used to diagnose its entries. */
  KFGUARD_SNAPSHOT_MAX_AGE_MINUTES: z.coerce.number().positive().default(180),
  /** host:port of a Container API (GKE) served without TLS: the local stack. */
  KFGUARD_CONTAINER_ENDPOINT: optionalText,
  KFGUARD_LOGGING_ENDPOINT: optionalText,
  /** host:port of a Secret Manager API served without TLS (tests). */
  KFGUARD_SECRETMANAGER_ENDPOINT: optionalText,
  KFGUARD_WORKFLOWS_ENDPOINT: optionalText,
  KFGUARD_CLOUDBUILD_ENDPOINT: optionalText,
  /** Base URLs of the Compute and DNS REST APIs (default: Google's). */
  KFGUARD_COMPUTE_URL: z.url().default('https://compute.googleapis.com'),
  KFGUARD_DNS_URL: z.url().default('https://dns.googleapis.com'),
  /** Kubernetes API of the management cluster when not derived from GKE (the local stack, or a proxy). */
  KFGUARD_KUBE_API_URL: z.url().optional(),
  /**
   * Which GKE control-plane endpoint to call: `public`, or `private` when the functions reach the
   * cluster's VPC (a Serverless VPC Access connector) and master authorized networks shut out the rest.
   */
  KFGUARD_KUBE_ENDPOINT: z.enum(['public', 'private']).default('public'),
  /** Where requests for https://chat.googleapis.com go instead (the local stack's recorder). */
  KFGUARD_CHAT_API_ORIGIN: z.url().optional(),
  /** Secret references: `projects/P/secrets/S/versions/V` (Secret Manager) or `env:VAR` (local). */
  KFGUARD_CHAT_WEBHOOK_SECRET: optionalText,
  KFGUARD_SMTP_URL_SECRET: optionalText,
  KFGUARD_EMAIL_FROM: z.string().default('kfguard <kfguard@localhost>'),
  KFGUARD_EMAIL_TO: z.string().default(''),
  KFGUARD_DASHBOARD_URL: z.url().optional(),
  /** Google Chat's quota per space (60 messages a minute); lower it to fold into digests sooner. */
  KFGUARD_CHAT_PER_MINUTE: positiveInt(60),
  KFGUARD_CHAT_WINDOW_MS: positiveInt(60_000),
  /** First retry delay after a Chat 429 or 5xx without Retry-After; doubles up to 30 s. */
  KFGUARD_CHAT_BACKOFF_MS: positiveInt(1_000),
  KFGUARD_CHAT_TIMEOUT_MS: positiveInt(15_000),
  KFGUARD_WORKFLOW: z.string().default(WORKFLOW_NAME),
  /** Where deployments keep the blueprint package and hydrated manifests between stages. */
  KFGUARD_ARTIFACTS_BUCKET: z.string().default('kfguard-artifacts'),
  KFGUARD_STORAGE_URL: z.url().default('https://storage.googleapis.com'),
  /** The build image with kpt, kustomize, make, yq, kubectl, gcloud, kfctl and kfguard (infra/toolbox). */
  KFGUARD_TOOLBOX_IMAGE: z.string().optional(),
  KFGUARD_BUILD_SERVICE_ACCOUNT: optionalText,
  /** Per-stage overrides for the workflow, JSON: {"wait-cluster": {"timeout": 600, "poll": 60, "budget": 5400}}. */
  KFGUARD_STAGE_SETTINGS: z
    .string()
    .default('{}')
    .transform((text, context) => {
      try {
        return StageSettingsSchema.parse(JSON.parse(text));
      } catch (error) {
        context.addIssue({ code: 'custom', message: `KFGUARD_STAGE_SETTINGS: ${(error as Error).message.split('\n')[0]}` });
        return z.NEVER;
      }
    }),
  /** A Config Connector resource not Ready for this long fails wait-cluster. */
  KFGUARD_CNRM_READY_MINUTES: z.coerce.number().positive().default(20),
});

/** Every variable kfguard reads: Terraform sets no other (a test checks). */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export interface RuntimeConfig {
  projectId: string;
  region: string;
  resolveAfterMinutes: number;
  sweep: { outboxGraceMs: number; backstopMaxEntries: number };
  handlerDeadlineMs: number;
  registryCacheMs: number;
  snapshotMaxAgeMinutes: number;
  endpoints: {
    container?: string;
    logging?: string;
    secretManager?: string;
    workflows?: string;
    cloudbuild?: string;
    computeUrl: string;
    dnsUrl: string;
    kubeApiUrl?: string;
    kubeEndpoint: 'public' | 'private';
    chatOrigin?: string;
  };
  secrets: { chatWebhook?: string; smtpUrl?: string };
  chat: { perWindow: number; windowMs: number; backoffMs: number; timeoutMs: number };
  email: { from: string; to: string[] };
  dashboardUrl?: string;
  workflow: string;
  deploy: { bucket: string; storageUrl: string; toolboxImage: string; buildServiceAccount?: string; cnrmReadyMinutes: number; stageSettings: Record<string, { timeout?: number; poll?: number; budget?: number }> };
}

export class ConfigError extends Error {}

/** Reads the runtime configuration from the environment, failing loudly on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid kfguard configuration: ${zodIssueText(parsed.error)}`);
  const e = parsed.data;
  const projectId = e.KFGUARD_PROJECT ?? e.GOOGLE_CLOUD_PROJECT ?? e.GCLOUD_PROJECT;
  if (!projectId) throw new ConfigError('set KFGUARD_PROJECT (or GOOGLE_CLOUD_PROJECT) to the project kfguard runs in');
  return {
    projectId,
    region: e.KFGUARD_REGION,
    resolveAfterMinutes: e.KFGUARD_RESOLVE_AFTER_MINUTES,
    sweep: { outboxGraceMs: e.KFGUARD_OUTBOX_GRACE_SECONDS * 1000, backstopMaxEntries: e.KFGUARD_BACKSTOP_MAX_ENTRIES },
    handlerDeadlineMs: e.KFGUARD_HANDLER_DEADLINE_MS,
    registryCacheMs: e.KFGUARD_REGISTRY_CACHE_MS,
    snapshotMaxAgeMinutes: e.KFGUARD_SNAPSHOT_MAX_AGE_MINUTES,
    endpoints: {
      container: e.KFGUARD_CONTAINER_ENDPOINT,
      logging: e.KFGUARD_LOGGING_ENDPOINT,
      secretManager: e.KFGUARD_SECRETMANAGER_ENDPOINT,
      workflows: e.KFGUARD_WORKFLOWS_ENDPOINT,
      cloudbuild: e.KFGUARD_CLOUDBUILD_ENDPOINT,
      computeUrl: e.KFGUARD_COMPUTE_URL.replace(/\/$/, ''),
      dnsUrl: e.KFGUARD_DNS_URL.replace(/\/$/, ''),
      kubeApiUrl: e.KFGUARD_KUBE_API_URL,
      kubeEndpoint: e.KFGUARD_KUBE_ENDPOINT,
      chatOrigin: e.KFGUARD_CHAT_API_ORIGIN,
    },
    secrets: { chatWebhook: e.KFGUARD_CHAT_WEBHOOK_SECRET, smtpUrl: e.KFGUARD_SMTP_URL_SECRET },
    chat: { perWindow: e.KFGUARD_CHAT_PER_MINUTE, windowMs: e.KFGUARD_CHAT_WINDOW_MS, backoffMs: e.KFGUARD_CHAT_BACKOFF_MS, timeoutMs: e.KFGUARD_CHAT_TIMEOUT_MS },
    email: { from: e.KFGUARD_EMAIL_FROM, to: e.KFGUARD_EMAIL_TO.split(',').map((address) => address.trim()).filter(Boolean) },
    dashboardUrl: e.KFGUARD_DASHBOARD_URL,
    workflow: e.KFGUARD_WORKFLOW,
    deploy: {
      bucket: e.KFGUARD_ARTIFACTS_BUCKET,
      storageUrl: e.KFGUARD_STORAGE_URL.replace(/\/$/, ''),
      // Where Terraform's toolbox_image defaults to: the kfguard repository in the functions' region.
      toolboxImage: e.KFGUARD_TOOLBOX_IMAGE ?? `${e.KFGUARD_REGION}-docker.pkg.dev/${projectId}/kfguard/toolbox:latest`,
      buildServiceAccount: e.KFGUARD_BUILD_SERVICE_ACCOUNT,
      cnrmReadyMinutes: e.KFGUARD_CNRM_READY_MINUTES,
      stageSettings: e.KFGUARD_STAGE_SETTINGS,
    },
  };
}

let cached: RuntimeConfig | undefined;

/** The process's configuration, read once (Cloud Functions set the environment before loading code). */
export function runtimeConfig(): RuntimeConfig {
  return (cached ??= loadConfig());
}

/** Tests and the local stack change the environment between runs. */
export function resetRuntimeConfig(): void {
  cached = undefined;
}
