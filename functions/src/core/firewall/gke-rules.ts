import { gkeRulePrefix, type ClusterModel } from '../model/cluster.js';
import { firewallRuleDefaults, type FirewallRule, type ProtocolSpec } from './rule.js';

const every = (...protocols: string[]): ProtocolSpec[] => protocols.map((protocol) => ({ protocol, ports: [] }));

/**
 * The ingress rules GKE creates for a cluster, which never appear in manifests or in the blueprint
 * (priority 1000, target GKE's node tag): `-master` (private clusters: control plane → nodes on tcp
 * 443 and 10250), `-vms` (node range → nodes) and `-all` (pod range → nodes). Without the
 * cluster id the names keep a literal HASH.
 */
export function gkeCreatedRules(model: ClusterModel): FirewallRule[] {
  const prefix = gkePrefix(model);
  const nodeTag = gkeNodeTag(model);
  const base = (suffix: string): FirewallRule => {
    const rule = { ...firewallRuleDefaults(`${prefix}-${suffix}`, 'INGRESS', 'allow', 'gke'), targetTags: [nodeTag] };
    if (model.network) rule.network = model.network;
    return rule;
  };
  const rules: FirewallRule[] = [];
  if (model.privateNodes && model.masterCidr) {
    rules.push({ ...base('master'), sourceRanges: [model.masterCidr], protocols: [{ protocol: 'tcp', ports: [{ from: 443, to: 443 }, { from: 10250, to: 10250 }] }] });
  }
  if (model.nodeCidrs.length > 0) {
    rules.push({ ...base('vms'), sourceRanges: model.nodeCidrs, protocols: [{ protocol: 'tcp', ports: [{ from: 1, to: 65535 }] }, { protocol: 'udp', ports: [{ from: 1, to: 65535 }] }, ...every('icmp')] });
  }
  if (model.podCidrs.length > 0) {
    rules.push({ ...base('all'), sourceRanges: model.podCidrs, protocols: every('tcp', 'udp', 'sctp', 'icmp', 'esp', 'ah') });
  }
  return rules;
}

function gkePrefix(model: ClusterModel): string {
  return gkeRulePrefix(model) ?? `gke-${model.name ?? 'CLUSTER'}-HASH`;
}

/** GKE's own node tag for the cluster, whether or not its id is known. */
export function gkeNodeTag(model: ClusterModel): string {
  return model.nodeTags[0] ?? `${gkePrefix(model)}-node`;
}
