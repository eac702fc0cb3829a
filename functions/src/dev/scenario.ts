import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { zodIssueText } from '../core/logs/log-entry.js';

const ApiObject = z.record(z.string(), z.unknown());

/**
 * A scenario drives the local stack's fakes: the clusters GKE reports (and which are registered),
 * their operations, the project's live network, the management cluster's Kubernetes objects, and
 * the log entries Cloud Logging holds. Times may be written `now` or `now-2h` (s, m, h, d).
 */
export const ScenarioSchema = z.object({
  description: z.string().optional(),
  project: z.string(),
  clusters: z
    .array(
      z.object({
        /** Container API Cluster JSON, as `gcloud container clusters describe --format=json` prints it. */
        gke: ApiObject,
        register: z
          .object({
            location: z.string(),
            nodeCidr: z.string().optional(),
            managementNamespace: z.string().optional(),
          })
          .optional(),
      }),
    )
    .default([]),
  operations: z.array(ApiObject).default([]),
  compute: z
    .object({
      firewalls: z.array(ApiObject).default([]),
      routes: z.array(ApiObject).default([]),
      routers: z.array(ApiObject).default([]),
      networks: z.array(ApiObject).default([]),
      subnetworks: z.array(ApiObject).default([]),
      /** Hierarchical (with `parent`), global and regional network firewall policies in force on the project's networks. */
      firewallPolicies: z.array(ApiObject).default([]),
    })
    .default({ firewalls: [], routes: [], routers: [], networks: [], subnetworks: [], firewallPolicies: [] }),
  dns: z
    .object({
      managedZones: z.array(ApiObject).default([]),
      recordSets: z.record(z.string(), z.array(ApiObject)).default({}),
    })
    .default({ managedZones: [], recordSets: {} }),
  /** Kubernetes objects, inline or as YAML files relative to the scenario. */
  kubernetes: z.array(z.union([ApiObject, z.object({ file: z.string() })])).default([]),
  /** LogEntry JSON Cloud Logging holds (the sweep's backstop reads them). */
  logging: z.array(ApiObject).default([]),
  /** What deployments' Cloud Build jobs do here, where no container runs. */
  deploy: z
    .object({
      /** YAML files the configure build "renders" into the package's .build/ (relative to the scenario). */
      hydrated: z.array(z.string()).default([]),
      /** Per stage, how its build ends (default SUCCESS). */
      /** `never-finishes` keeps the build WORKING: the stage never reports, and the workflow's timeout ends it. */
      builds: z.record(z.string(), z.object({ status: z.enum(['SUCCESS', 'FAILURE', 'TIMEOUT', 'INTERNAL_ERROR', 'CANCELLED', 'never-finishes']), statusDetail: z.string().optional(), times: z.number().int().positive().optional() })).default({}),
    })
    .default({ hydrated: [], builds: {} }),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

const RELATIVE_TIME = /^now(?:-(\d+)([smhd]))?$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Replaces `now` / `now-90m` strings anywhere in the value with RFC 3339 times. */
export function resolveTimes(value: unknown, now: Date): unknown {
  if (typeof value === 'string') {
    const match = RELATIVE_TIME.exec(value);
    if (!match) return value;
    const offset = match[1] ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
    return new Date(now.getTime() - offset).toISOString();
  }
  if (Array.isArray(value)) return value.map((item) => resolveTimes(item, now));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveTimes(item, now)]));
  return value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Moves every RFC 3339 time in the value by `deltaMs`, so a recorded incident can be replayed as if it were happening now. */
export function shiftTimes(value: unknown, deltaMs: number): unknown {
  if (typeof value === 'string') return RFC3339.test(value) ? new Date(Date.parse(value) + deltaMs).toISOString() : value;
  if (Array.isArray(value)) return value.map((item) => shiftTimes(item, deltaMs));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shiftTimes(item, deltaMs)]));
  return value;
}

export interface LoadedScenario extends Scenario {
  kubernetesObjects: Record<string, unknown>[];
  /** The configure build's output: file name and YAML text. */
  hydratedFiles: { name: string; content: string }[];
}

export function loadScenario(path: string, now = new Date()): LoadedScenario {
  const parsed = ScenarioSchema.safeParse(resolveTimes(parseYaml(readFileSync(path, 'utf8')), now));
  if (!parsed.success) throw new Error(`${path}: not a kfguard scenario: ${zodIssueText(parsed.error)}`);
  const scenario = parsed.data;
  const kubernetesObjects = scenario.kubernetes.flatMap((item) => {
    if (!('file' in item) || typeof item['file'] !== 'string') return [item as Record<string, unknown>];
    const file = resolve(dirname(path), item['file']);
    return parseAllDocuments(readFileSync(file, 'utf8'))
      .map((document) => document.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null)
      .filter((object): object is Record<string, unknown> => object !== null && typeof object === 'object' && 'kind' in object && 'apiVersion' in object);
  });
  const hydratedFiles = scenario.deploy.hydrated.map((file) => ({ name: basename(file), content: readFileSync(resolve(dirname(path), file), 'utf8') }));
  return { ...scenario, kubernetesObjects, hydratedFiles };
}
