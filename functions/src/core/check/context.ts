import type { Cidr } from '../net/cidr.js';
import { HEALTH_CHECK_RANGES, RESTRICTED_APIS_RANGE } from '../net/well-known.js';
import type { ClusterModel } from '../model/cluster.js';
import type { NetworkConfig } from '../config/specs.js';
import { FirewallEvaluator, type TrafficEnd } from '../firewall/evaluator.js';
import { gkeCreatedRules, gkeNodeTag } from '../firewall/gke-rules.js';
import type { FirewallRule } from '../firewall/rule.js';

/** What every check of one cluster (or of the network alone) works from. */
export interface CheckContext {
  config: NetworkConfig;
  /** The cluster being checked, with range flags applied; absent when the inputs hold none. */
  cluster?: ClusterModel;
  network?: string;
  /** The network's rules plus the ones GKE creates for the cluster. */
  firewalls: FirewallRule[];
  evaluator: FirewallEvaluator;
  /** The nodes' network tags, GKE's own first: what proposed rules target. */
  nodeTags: string[];
  /** Each end is absent when its range is unknown: flows with an unknown end are not judged. */
  ends: {
    master?: TrafficEnd;
    nodes?: TrafficEnd;
    pods?: TrafficEnd;
    healthChecks: TrafficEnd[];
    googleApis: TrafficEnd;
  };
  /** What the report should say about this context; checks add theirs while they run. */
  notes: string[];
}

const external = (range: Cidr): TrafficEnd => ({ range, tags: [], serviceAccounts: [], primaryAddress: false, instance: false });

export function inNetwork(network: string | undefined, resourceNetwork: string | undefined): boolean {
  return network === undefined || resourceNetwork === undefined || resourceNetwork === network;
}

/** GKE's own rules when a live export holds them: `gke-NAME-HASH-master` and friends. */
function liveGkeRules(rules: readonly FirewallRule[], cluster: ClusterModel): FirewallRule[] {
  const pattern = new RegExp(`^gke-${(cluster.name ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}-(master|vms|all)$`);
  return rules.filter((rule) => pattern.test(rule.name));
}

export function buildContext(config: NetworkConfig, cluster: ClusterModel | undefined): CheckContext {
  const network = cluster?.network;
  const notes: string[] = [];
  const own = config.firewalls.filter((rule) => inNetwork(network, rule.network));
  const live = cluster ? liveGkeRules(own, cluster) : [];
  // Rules GKE created are modelled only when the inputs do not hold the real ones.
  const firewalls = cluster && live.length === 0 ? [...own, ...gkeCreatedRules(cluster)] : own;
  const nodeTags = cluster ? [...new Set([...live.flatMap((rule) => rule.targetTags), gkeNodeTag(cluster), ...cluster.nodeTags])] : [];
  const serviceAccounts = cluster?.nodeServiceAccounts ?? [];
  const nodeRange = cluster?.nodeCidrs[0];
  const podRange = cluster?.podCidrs[0];
  const name = cluster?.name ?? 'the cluster';
  if (cluster && !nodeRange) notes.push(`The node range of ${name} is unknown (pass --node-cidr or the subnetwork): flows to and from nodes were not judged.`);
  if (cluster && !podRange) notes.push(`The pod range of ${name} is unknown (pass --pod-cidr): flows to and from pods, and webhook ports, were not judged.`);
  const member = (range: Cidr, primaryAddress: boolean): TrafficEnd => ({ range, tags: nodeTags, serviceAccounts, primaryAddress, instance: true });
  const context: CheckContext = {
    config,
    firewalls,
    evaluator: new FirewallEvaluator(firewalls),
    nodeTags,
    ends: {
      healthChecks: HEALTH_CHECK_RANGES.filter((range) => range.family === 4).map(external),
      googleApis: external(RESTRICTED_APIS_RANGE),
    },
    notes,
  };
  if (nodeRange) context.ends.nodes = member(nodeRange, true);
  // Pod IPs are alias ranges of the nodes: targets match them, source tags do not.
  if (podRange) context.ends.pods = member(podRange, false);
  if (cluster) context.cluster = cluster;
  if (network) context.network = network;
  // Only a private cluster's control plane reaches nodes through the VPC firewall.
  if (cluster?.masterCidr && cluster.privateNodes) context.ends.master = external(cluster.masterCidr);
  return context;
}

