import { gkeRulePrefix, type ClusterModel } from '../model/cluster.js';
import { firewallRuleDefaults, type FirewallRule, type ProtocolSpec } from './rule.js';

const every = (...protocols: string[]): ProtocolSpec[] => protocols.map((protocol) => ({ protocol, ports: [] }));

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The names GKE gives the VPC rules it creates and reconciles (gcloud's firewall migration tool
 * lists the same): the cluster's own `gke-NAME-HASH-*` rules and the load balancers'
 * `k8s-fw-*`, `k8s-*-hc`, `k8s2-*` and `gkegw1-*` rules.
 */
const GKE_RULE = /^gke-.+-[0-9a-f]{8}-(master|vms|all|inkubelet|exkubelet|ssh|mcsd)$|^gke-.+-ipv6-all$/;
const LOAD_BALANCER_RULE = /^k8s-fw-|^k8s-.+-(node|http|node-http)-hc$|^k8s2-|^gkegw1-/;

export function isGkeManagedName(name: string): boolean {
  return GKE_RULE.test(name) || LOAD_BALANCER_RULE.test(name);
}

export function isLoadBalancerRuleName(name: string): boolean {
  return LOAD_BALANCER_RULE.test(name);
}

/** GKE's own rules for this cluster, by name: `gke-NAME-HASH-master` and friends, HASH from the cluster id when known. */
export function ownGkeRules(rules: readonly FirewallRule[], cluster: ClusterModel): FirewallRule[] {
  const prefix = gkeRulePrefix(cluster);
  const pattern = prefix ? new RegExp(`^${escape(prefix)}-(master|vms|all|inkubelet|exkubelet)$`) : new RegExp(`^gke-${escape(cluster.name ?? '')}-[0-9a-f]{8}-(master|vms|all|inkubelet|exkubelet)$`);
  return rules.filter((rule) => !rule.policy && pattern.test(rule.name));
}

/** Another cluster's `gke-NAME-HASH-*` rule: never this cluster's to judge or to change. */
export function belongsToOtherCluster(rule: FirewallRule, cluster: ClusterModel): boolean {
  if (!GKE_RULE.test(rule.name)) return false;
  const prefix = gkeRulePrefix(cluster);
  if (prefix) return !rule.name.startsWith(`${prefix}-`);
  return !new RegExp(`^gke-${escape(cluster.name ?? '')}-[0-9a-f]{8}-`).test(rule.name);
}

/**
 * The ingress rules GKE creates for a cluster, which never appear in manifests or in the blueprint
 * (priority 1000, target GKE's node tag): `-master` (private clusters with a control-plane /28:
 * tcp 443 and 10250 from it), `-vms` (node range → nodes) and `-all` (pod ranges → nodes). Modelled
 * only when the inputs do not hold the real ones; `-inkubelet`/`-exkubelet` are not modelled, as
 * GKE creates them only on some clusters. Without the cluster id the names keep a literal HASH.
 */
export function gkeCreatedRules(model: ClusterModel): FirewallRule[] {
  const prefix = gkePrefix(model);
  const nodeTag = gkeNodeTag(model);
  const base = (suffix: string): FirewallRule => {
    const rule = { ...firewallRuleDefaults(`${prefix}-${suffix}`, 'INGRESS', 'allow', 'gke'), targetTags: [nodeTag] };
    if (model.network) rule.network = model.network;
    if (model.networkProject) rule.project = model.networkProject;
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
