import type { ClusterModel } from '../model/cluster.js';
import type { ClusterSpec, NetworkConfig } from './specs.js';

/** Node, pod and service ranges a cluster model lacks, from its subnetwork's primary and secondary ranges. */
export function fillRangesFromSubnetwork(cluster: Pick<ClusterSpec, 'model' | 'podRangeName' | 'serviceRangeName'>, config: NetworkConfig): void {
  const model: ClusterModel = cluster.model;
  const candidates = config.subnetworks.filter((subnet) => (model.subnetwork ? subnet.name === model.subnetwork : !model.network || subnet.network === model.network));
  const subnet = candidates.length === 1 ? candidates[0] : undefined;
  if (!subnet) return;
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
 * firewall rule it created, a ComputeSubnetwork and its subnetwork). One copy is kept per name:
 * the live one, which is what is in force.
 */
function withoutDuplicates<T extends { name: string }>(items: T[], isLive: (item: T) => boolean): T[] {
  const byName = new Map<string, T>();
  for (const item of items) {
    const kept = byName.get(item.name);
    if (!kept || (isLive(item) && !isLive(kept))) byName.set(item.name, item);
  }
  return [...byName.values()];
}

/** Cross-resource resolution once every input is read: duplicates, cluster ranges from subnetworks, record zones. */
export function finalizeConfig(config: NetworkConfig): NetworkConfig {
  config.firewalls = withoutDuplicates(config.firewalls, (rule) => rule.origin === 'gcloud');
  config.subnetworks = withoutDuplicates(config.subnetworks, (subnet) => subnet.live);
  for (const cluster of config.clusters) fillRangesFromSubnetwork(cluster, config);
  assignRecordZones(config);
  return config;
}
