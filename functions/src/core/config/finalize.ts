import { regionOfLocation, type ClusterModel } from '../model/cluster.js';
import type { FirewallRule, PolicyRef } from '../firewall/rule.js';
import type { ClusterSpec, NetworkConfig, SubnetworkSpec } from './specs.js';

const agrees = (a: string | undefined, b: string | undefined): boolean => a === undefined || b === undefined || a === b;

/**
 * The subnetwork a cluster's nodes are on. Subnets are named per region and project (every
 * auto-mode network has a `default` in each region), so the name is matched together with the
 * cluster's region and its network's project; without a subnetwork name, the network's only subnet
 * in the region.
 */
export function clusterSubnetwork(model: ClusterModel, config: NetworkConfig): { subnet?: SubnetworkSpec; ambiguous: SubnetworkSpec[] } {
  const region = model.subnetworkRegion ?? regionOfLocation(model.location);
  const candidates = config.subnetworks.filter(
    (subnet) =>
      (model.subnetwork ? subnet.name === model.subnetwork : !model.network || subnet.network === model.network) &&
      agrees(subnet.region, region) &&
      agrees(subnet.project, model.networkProject ?? model.project),
  );
  return candidates.length === 1 ? { subnet: candidates[0]!, ambiguous: [] } : { ambiguous: candidates };
}

/** Node, pod and service ranges a cluster model lacks, from its subnetwork's primary and secondary ranges. */
export function fillRangesFromSubnetwork(cluster: Pick<ClusterSpec, 'model' | 'podRangeName' | 'serviceRangeName'>, config: NetworkConfig): void {
  const model: ClusterModel = cluster.model;
  const { subnet, ambiguous } = clusterSubnetwork(model, config);
  if (!subnet) {
    if (ambiguous.length > 1 && model.nodeCidrs.length === 0) {
      config.notes.push(`${ambiguous.length} subnetworks could be ${model.name ?? 'the cluster'}'s (${ambiguous.map((candidate) => `${candidate.name} in ${candidate.region ?? 'an unknown region'}`).join(', ')}): its node range was left unknown.`);
    }
    return;
  }
  if (model.nodeCidrs.length === 0 && subnet.ipCidrRange) {
    model.nodeCidrs = [subnet.ipCidrRange];
    model.origins.node = 'manifest';
  }
  const secondary = (name: string | undefined) => subnet.secondaryRanges.find((range) => range.rangeName === name)?.range;
  const pods = secondary(cluster.podRangeName);
  if (model.podCidrs.length === 0 && pods) {
    model.podCidrs = [pods];
    model.origins.pod = 'manifest';
  }
  const services = secondary(cluster.serviceRangeName);
  if (model.serviceCidrs.length === 0 && services) {
    model.serviceCidrs = [services];
    model.origins.service = 'manifest';
  }
  model.network ??= subnet.network;
  model.subnetworkRegion ??= subnet.region;
}

/** The longest zone suffix of a record's name is its zone (gcloud's record-set export omits it). */
function assignRecordZones(config: NetworkConfig): void {
  for (const record of config.records) {
    if (record.zone) continue;
    const zone = config.zones.filter((candidate) => record.name === candidate.dnsName || record.name.endsWith(`.${candidate.dnsName}`)).sort((a, b) => b.dnsName.length - a.dnsName.length)[0];
    if (zone) record.zone = zone.name;
  }
}

/**
 * One resource can arrive twice, as a manifest and as a live export (a ComputeFirewall and the
 * firewall rule it created, a ComputeSubnetwork and its subnetwork), or as two exports of the same
 * policy. One copy is kept per identity: the one that stands highest (see RULE_STANDING).
 */
function withoutDuplicates<T>(items: T[], identity: (item: T) => string, standing: (item: T) => number): T[] {
  const byIdentity = new Map<string, T>();
  for (const item of items) {
    const key = identity(item);
    const kept = byIdentity.get(key);
    if (!kept || standing(item) > standing(kept)) byIdentity.set(key, item);
  }
  return [...byIdentity.values()];
}

/** A plan's rule is what would be in force once applied; a live rule is what is; a manifest what will be. */
const RULE_STANDING: Partial<Record<FirewallRule['origin'], number>> = { proposal: 2, gcloud: 1 };

const samePolicy = (a: PolicyRef, b: PolicyRef): boolean => a.kind === b.kind && a.name === b.name && (a.region ?? '') === (b.region ?? '');

/** Associations read as resources of their own join the policy they attach; a policy seen only through its association gets a spec. */
function attachPolicies(config: NetworkConfig): void {
  for (const { policy, target, location } of config.policyAttachments) {
    const spec = config.firewallPolicies.find((candidate) => samePolicy(candidate.ref, policy));
    if (spec) spec.attachments = [...(spec.attachments ?? []), target];
    else config.firewallPolicies.push({ ref: policy, attachments: [target], location });
  }
  config.policyAttachments = [];
}

/** Cross-resource resolution once every input is read: duplicates, cluster ranges from subnetworks, record zones. */
export function finalizeConfig(config: NetworkConfig): NetworkConfig {
  // A manifest does not name its project: a VPC rule is identified by its name, a policy rule by its policy and priority.
  config.firewalls = withoutDuplicates(config.firewalls, (rule) => [rule.policy?.kind ?? 'vpc', rule.policy?.region ?? '', rule.name].join('|'), (rule) => RULE_STANDING[rule.origin] ?? 0);
  // A manifest does not name its subnet's project: network, region and name identify it.
  config.subnetworks = withoutDuplicates(config.subnetworks, (subnet) => [subnet.network ?? '', subnet.region ?? '', subnet.name].join('|'), (subnet) => (subnet.live ? 1 : 0));
  for (const cluster of config.clusters) {
    const projectNumber = cluster.model.project ? config.projectNumbers.get(cluster.model.project) : undefined;
    if (projectNumber && !cluster.model.projectNumber) cluster.model.projectNumber = projectNumber;
    fillRangesFromSubnetwork(cluster, config);
  }
  attachPolicies(config);
  assignRecordZones(config);
  return config;
}
