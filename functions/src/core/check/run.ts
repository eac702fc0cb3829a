import { summarizeModel, type ClusterModel, type ClusterModelSummary } from '../model/cluster.js';
import { FindingAggregator, type Finding } from '../findings/finding.js';
import type { ConfigRejection, NetworkConfig } from '../config/specs.js';
import { CHECK_RULES } from '../rules/index.js';
import type { CheckRule } from '../rules/check-rule.js';
import { buildContext } from './context.js';

export interface CheckReport {
  findings: Finding[];
  stats: { firewallRules: number; routes: number; webhooks: number; clusters: number; rejected: number };
  rejected: ConfigRejection[];
  clusters: ClusterModelSummary[];
  notes: string[];
}

export interface CheckOptions {
  /** Clusters given apart from the inputs (--cluster, the registry), merged by name. */
  clusters?: ClusterModel[];
  /** Applied to every cluster: the range flags. */
  adjust?: (model: ClusterModel) => ClusterModel;
  rejected?: ConfigRejection[];
  rules?: readonly CheckRule[];
}

function clustersToCheck(config: NetworkConfig, options: CheckOptions): ClusterModel[] {
  const byName = new Map<string, ClusterModel>();
  for (const cluster of [...config.clusters.map((spec) => spec.model), ...(options.clusters ?? [])]) byName.set(cluster.name ?? '', cluster);
  return [...byName.values()].map((model) => (options.adjust ? options.adjust(model) : model));
}

/**
 * Runs every check whose inputs were given, once per cluster (or once for the network when no
 * cluster is known). Checks that lack their inputs are skipped and named in the notes.
 */
export function runChecks(config: NetworkConfig, options: CheckOptions = {}): CheckReport {
  const rules = options.rules ?? CHECK_RULES;
  const clusters = clustersToCheck(config, options);
  const coverage = new Set(config.coverage);
  if (clusters.length > 0) coverage.add('clusters');
  const runnable = rules.filter((rule) => rule.requires.every((need) => coverage.has(need)));
  const skipped = rules.filter((rule) => !runnable.includes(rule));
  const aggregator = new FindingAggregator();
  const notes = new Set<string>();
  for (const cluster of clusters.length > 0 ? clusters : [undefined]) {
    const context = buildContext(config, cluster);
    for (const rule of runnable) for (const observation of rule.check(context)) aggregator.add(observation);
    for (const note of context.notes) notes.add(note);
    if (cluster && !cluster.privateNodes) notes.add(`${cluster.name ?? 'The cluster'} is not private: control-plane flows and webhook ports were not judged.`);
    else if (cluster && !cluster.masterCidr) notes.add(`The control-plane range of ${cluster.name ?? 'the cluster'} is unknown: control-plane flows and webhook ports were not judged (pass --master-cidr or the cluster).`);
  }
  if (clusters.length === 0) notes.add('No cluster among the inputs (pass --cluster, the range flags or a ContainerCluster manifest): cluster flows and webhook ports were not judged.');
  if (skipped.length > 0) notes.add(`Skipped for lack of input: ${skipped.map((rule) => `${rule.id} (needs ${rule.requires.filter((need) => !coverage.has(need)).join(', ')})`).join('; ')}.`);
  const rejected = options.rejected ?? [];
  return {
    findings: aggregator.findings(),
    stats: { firewallRules: config.firewalls.length, routes: config.routes.length, webhooks: config.webhooks.length, clusters: clusters.length, rejected: rejected.length },
    rejected,
    clusters: clusters.map(summarizeModel),
    notes: [...notes],
  };
}
