import { clusterIdOrName, emptyClusterModel, isNamed, withRangeOverrides, type ClusterModel } from '../core/model/cluster.js';
import type { ConfigRejection, NetworkConfig } from '../core/config/specs.js';
import type { CheckOptions as RunOptions } from '../core/check/run.js';
import { withPlanApplied } from '../core/plan/apply.js';
import { PlanFileSchema } from '../core/report/plan-report.js';
import { zodIssueText } from '../core/logs/log-entry.js';
import { loadClusterFile } from '../adapters/input/cluster-file.js';
import { loadNetworkConfig } from '../adapters/input/config-inputs.js';
import { readLocatedJson } from '../adapters/input/json-tokens.js';
import { UsageError } from './io.js';
import { rangeOverrides, type ClusterOptions } from './options.js';

export interface CheckInputOptions extends ClusterOptions {
  manifests?: string[];
  gcloud?: string[];
  withPlan?: string[];
}

export interface CheckInputs {
  config: NetworkConfig;
  rejected: ConfigRejection[];
  /** What `runChecks` takes besides the config: the clusters given apart and the range flags. */
  run: RunOptions;
}

/** A plan file applied to the inputs; a file that is not a plan is a usage error, never a pass. */
async function applyPlanFile(config: NetworkConfig, file: string): Promise<{ config: NetworkConfig; rejected: ConfigRejection[] }> {
  const { value } = await readLocatedJson(file);
  const parsed = PlanFileSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--with-plan ${file}: not a kfguard plan (kfguard plan --format json): ${zodIssueText(parsed.error)}`);
  return withPlanApplied(config, parsed.data.changes, file);
}

/** The inputs of `check` and `plan`: manifests and exports, the cluster, the range flags, plans applied on top. */
export async function loadCheckInputs(command: string, options: CheckInputOptions): Promise<CheckInputs> {
  if (!options.manifests?.length && !options.gcloud?.length && !options.cluster) throw new UsageError(`${command} needs --manifests, --gcloud or --cluster`);
  // The range flags first: a typo is a usage error before any input is read.
  const overrides = rangeOverrides(options);
  const loaded = await loadNetworkConfig({ manifests: options.manifests, gcloud: options.gcloud });
  let { config } = loaded;
  const rejected = [...loaded.rejected];
  for (const file of options.withPlan ?? []) {
    const applied = await applyPlanFile(config, file);
    config = applied.config;
    rejected.push(...applied.rejected);
  }
  const clusters: ClusterModel[] = options.cluster ? [await loadClusterFile(options.cluster, options.clusterName)] : [];
  if (options.clusterName && !options.cluster) {
    const named = config.clusters.filter((cluster) => isNamed(cluster.model, options.clusterName!));
    if (named.length === 0) throw new UsageError(`--cluster-name: no cluster named ${options.clusterName} among the inputs (${config.clusters.map((cluster) => clusterIdOrName(cluster.model)).join(', ') || 'none'})`);
    config.clusters = named;
  }
  if (clusters.length === 0 && config.clusters.length === 0 && overrides.masterCidr) {
    // Range flags alone describe a private cluster the inputs do not hold.
    clusters.push({ ...emptyClusterModel(), privateNodes: true, network: config.firewalls[0]?.network });
  }
  return { config, rejected, run: { clusters, rejected, adjust: (model) => withRangeOverrides(model, overrides) } };
}
