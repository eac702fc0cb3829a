import { z } from 'zod';
import { cidrsOverlap, isRfc1918Range, tryParseCidr, type Cidr } from '../net/cidr.js';

/** The blueprint's rule for a Kubeflow name: `NAME-admin` must be a valid service account id. */
export const KUBEFLOW_NAME = /^[a-z][-a-z0-9]{0,22}[a-z0-9]$/;
const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const RESOURCE_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
export const SECRET_VERSION = /^projects\/[^/\s]+\/secrets\/[A-Za-z0-9_-]+\/versions\/[A-Za-z0-9_-]+$/;

const cidr = (what: string) =>
  z.string().transform((text, context): Cidr => {
    const parsed = tryParseCidr(text);
    if (!parsed || parsed.family !== 4) {
      context.addIssue({ code: 'custom', message: `${what} "${text}" is not an IPv4 range` });
      return z.NEVER;
    }
    if (!isRfc1918Range(parsed)) {
      context.addIssue({ code: 'custom', message: `${what} ${parsed.text} is not in RFC 1918 space (10/8, 172.16/12, 192.168/16)` });
      return z.NEVER;
    }
    return parsed;
  });

const NetworkSchema = z
  .object({
    controlPlaneCidr: cidr('the control-plane range'),
    nodeCidr: cidr('the node range'),
    podCidr: cidr('the pod range'),
    serviceCidr: cidr('the service range'),
  })
  .strict()
  .superRefine((network, context) => {
    if (network.controlPlaneCidr.prefix !== 28) context.addIssue({ code: 'custom', path: ['controlPlaneCidr'], message: `the control-plane range must be exactly a /28, got /${network.controlPlaneCidr.prefix}` });
    const named = Object.entries(network) as [string, Cidr][];
    for (let i = 0; i < named.length; i++) {
      for (let j = i + 1; j < named.length; j++) {
        const [a, ra] = named[i]!;
        const [b, rb] = named[j]!;
        if (cidrsOverlap(ra, rb)) context.addIssue({ code: 'custom', path: [b], message: `${b} ${rb.text} overlaps ${a} ${ra.text}` });
      }
    }
  });

/** Secret Manager reference for the IAP OAuth client secret; the secret itself never travels in a request. */
const SecretReference = z.object({ secretManager: z.string().regex(SECRET_VERSION, 'must be projects/P/secrets/S/versions/V') }).strict();

/** Keys that would carry a secret in plain text; refused wherever they appear. */
const PLAINTEXT_SECRET_KEYS = /^(client_?secret|secret|password|token|private_?key|api_?key)$/i;

function plaintextSecretPaths(value: unknown, path: string[] = [], depth = 0): string[] {
  if (depth > 8 || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const here = [...path, key];
    if (PLAINTEXT_SECRET_KEYS.test(key) && typeof item === 'string') return [here.join('.')];
    return plaintextSecretPaths(item, here, depth + 1);
  });
}

export const DeploymentRequestSchema = z
  .object({
    id: z.string().regex(/^[a-z][-a-z0-9]{2,62}$/, 'id: lowercase letters, digits and dashes, 3-63 characters, starting with a letter'),
    project: z.string().regex(PROJECT_ID, 'project: a GCP project id'),
    region: z.string().regex(REGION, 'region: like us-central1'),
    zone: z.string().regex(ZONE, 'zone: like us-central1-c'),
    /** Where the cluster lives: the region (regional cluster) or the zone (zonal). */
    location: z.string(),
    name: z.string().regex(KUBEFLOW_NAME, 'name: lowercase letters, digits and dashes, starting with a letter, ending with a letter or digit, at most 24 characters'),
    managementCluster: z.object({ name: z.string().regex(RESOURCE_NAME), location: z.string().regex(/^[a-z]+-[a-z]+[0-9]+(-[a-z])?$/), project: z.string().regex(PROJECT_ID).optional() }).strict(),
    /** Config Connector namespace on the management cluster (namespaced mode: the project). */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/).optional(),
    blueprint: z
      .object({
        repository: z.url().refine((url) => url.startsWith('https://'), 'blueprint.repository: an https URL'),
        ref: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'blueprint.ref: a branch, tag or commit'),
      })
      .strict()
      .default({ repository: 'https://github.com/kubeflow/gcp-blueprints.git', ref: 'master' }),
    network: NetworkSchema,
    iap: z.object({ clientId: z.string().regex(/^[A-Za-z0-9._-]{10,200}$/, 'iap.clientId: an OAuth client id'), clientSecret: SecretReference }).strict(),
    /**
     * The Kubeflow administrator: the blueprint's `email` setter, the owner of the default profile.
     * Optional because not every blueprint ref has that setter; configure fails naming it when one does.
     */
    adminEmail: z.email().max(254).optional(),
    notify: z.object({ email: z.array(z.email()).max(20).default([]), chat: z.boolean().default(true) }).strict().default({ email: [], chat: true }),
    /** Allows preflight to add the ipAllocationPolicy fields to Config Connector's ContainerCluster CRD (kubeflow/gcp-blueprints#32). */
    patchContainerClusterCrd: z.boolean().default(false),
  })
  .strict()
  .superRefine((request, context) => {
    if (request.location !== request.region && request.location !== request.zone) {
      context.addIssue({ code: 'custom', path: ['location'], message: `location must be the region (${request.region}) or the zone (${request.zone}), got "${request.location}"` });
    }
    if (!request.zone.startsWith(`${request.region}-`)) context.addIssue({ code: 'custom', path: ['zone'], message: `zone ${request.zone} is not in region ${request.region}` });
  });

export type DeploymentRequest = z.infer<typeof DeploymentRequestSchema>;

export type ParsedRequest = { ok: true; request: DeploymentRequest } | { ok: false; errors: string[] };

/**
 * Validates a DeploymentRequest. A plaintext secret anywhere is refused before the schema runs, so
 * the error never repeats it and nothing downstream ever stores it.
 */
export function parseDeploymentRequest(value: unknown): ParsedRequest {
  const secrets = plaintextSecretPaths(value);
  if (secrets.length > 0) {
    return { ok: false, errors: secrets.map((path) => `${path}: plaintext secrets are refused; store it in Secret Manager and pass {"secretManager": "projects/P/secrets/S/versions/V"}`) };
  }
  const parsed = DeploymentRequestSchema.safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => (issue.path.length > 0 && !issue.message.startsWith(String(issue.path[0])) ? `${issue.path.join('.')}: ${issue.message}` : issue.message)) };
}

/** The request as stored and passed on: ranges as text (Cidr objects are not JSON). */
export function serializableRequest(request: DeploymentRequest): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...request, network: Object.fromEntries(Object.entries(request.network).map(([key, range]) => [key, range.text])) })) as Record<string, unknown>;
}
