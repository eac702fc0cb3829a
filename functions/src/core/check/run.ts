import { summarizeModel, type ClusterModel, type ClusterModelSummary } from '../model/cluster.js';
import { FindingAggregator, type Finding, type Observation } from '../findings/finding.js';
import type { ConfigRejection, NetworkConfig } from '../config/specs.js';
import { CHECK_RULES } from '../rules/index.js';
import type { CheckRule } from '../rules/check-rule.js';
import { buildContext } from './context.js';
import { fillRangesFromSubnetwork } from '../config/finalize.js';
import { offlineScope } from '../pipeline/registry.js';

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

/** The clusters the checks judge: the inputs' and those given apart, ranges filled from their subnetworks and the flags applied. */
export function clustersToCheck(config: NetworkConfig, options: CheckOptions): ClusterModel[] {
  const byName = new Map<string, ClusterModel>();
  for (const cluster of config.clusters) byName.set(cluster.model.name ?? '', cluster.model);
  for (const given of options.clusters ?? []) {
    const model = structuredClone(given);
    // A cluster given apart (describe output, the registry) lacks the subnet's primary range.
    fillRangesFromSubnetwork({ model, podRangeName: undefined, serviceRangeName: undefined }, config);
    byName.set(model.name ?? '', model);
  }
  return [...byName.values()].map((model) => (options.adjust ? options.adjust(model) : model));
}

export interface CheckObservations {
  observations: Observation[];
  clusters: ClusterModel[];
  notes: string[];
}

/**
 * Runs every check whose inputs were given, once per cluster (or once for the network when no
 * cluster is known). Checks that lack their inputs are skipped and named in the notes.
 */
export function collectCheckObservations(config: NetworkConfig, options: CheckOptions = {}): CheckObservations {
  const rules = options.rules ?? CHECK_RULES;
  const clusters = clustersToCheck(config, options);
  const coverage = new Set(config.coverage);
  if (clusters.length > 0) coverage.add('clusters');
  const runnable = rules.filter((rule) => rule.requires.every((need) => coverage.has(need)));
  const skipped = rules.filter((rule) => !runnable.includes(rule));
  const observations: Observation[] = [];
  const notes = new Set<string>(config.notes);
  for (const cluster of clusters.length > 0 ? clusters : [undefined]) {
    const context = buildContext(config, cluster);
    for (const rule of runnable) observations.push(...rule.check(context));
    for (const note of context.notes) notes.add(note);
    if (cluster && !cluster.privateNodes) notes.add(`${cluster.name ?? 'The cluster'} is not private: control-plane flows and webhook ports were not judged.`);
    else if (cluster && !cluster.masterCidr) notes.add(`The control-plane range of ${cluster.name ?? 'the cluster'} is unknown: control-plane flows and webhook ports were not judged (pass --master-cidr or the cluster).`);
  }
  if (clusters.length === 0) notes.add('No cluster among the inputs (pass --cluster, the range flags or a ContainerCluster manifest): cluster flows and webhook ports were not judged.');
  if (skipped.length > 0) notes.add(`Skipped for lack of input: ${skipped.map((rule) => `${rule.id} (needs ${rule.requires.filter((need) => !coverage.has(need)).join(', ')})`).join('; ')}.`);
  return { observations, clusters, notes: [...notes] };
}

/** `kfguard check`'s report: the observations aggregated into findings. */
export function runChecks(config: NetworkConfig, options: CheckOptions = {}): CheckReport {
  const { observations, clusters, notes } = collectCheckObservations(config, options);
  const aggregator = new FindingAggregator(offlineScope(clusters));
  // A network-wide check runs once per cluster on the network: one finding, not one per cluster.
  const distinct = new Map(observations.map((observation) => [observation.key, observation]));
  for (const observation of distinct.values()) aggregator.add(observation);
  const rejected = options.rejected ?? [];
  return {
    findings: aggregator.findings(),
    stats: { firewallRules: config.firewalls.length, routes: config.routes.length, webhooks: config.webhooks.length, clusters: clusters.length, rejected: rejected.length },
    rejected,
    clusters: clusters.map(summarizeModel),
    notes,
  };
}
