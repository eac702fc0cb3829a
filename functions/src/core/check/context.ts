import { parseCidr, type Cidr } from '../net/cidr.js';
import { HEALTH_CHECK_RANGES, RESTRICTED_APIS_RANGE } from '../net/well-known.js';
import { gkeRulePrefix, networkProjectOf, resolveServiceAccounts, type ClusterModel } from '../model/cluster.js';
import type { NetworkConfig } from '../config/specs.js';
import { FirewallEvaluator, type TrafficEnd } from '../firewall/evaluator.js';
import { gkeNodeTag, ownGkeRules } from '../firewall/gke-rules.js';
import type { FirewallRule } from '../firewall/rule.js';
import { buildStack, type FirewallStack, type StackInput } from '../firewall/stack.js';
import { clusterFirewalls, onNetwork } from './firewall-stack.js';
import { healthCheckedPorts, modelledLoadBalancerRules, type CheckedPorts } from './health-checks.js';

/** What judging one cluster's traffic works from: the rules in force, the nodes' tags and the traffic's ends. */
export interface FirewallContext {
  /** The cluster being checked, with range flags applied; absent when the inputs hold none. */
  cluster?: ClusterModel;
  network?: string;
  /** The project that holds the network: where firewall, route, NAT and DNS fixes go. */
  networkProject?: string;
  /** Every rule in force on the cluster's nodes, in evaluation order. */
  stack: FirewallStack;
  evaluator: FirewallEvaluator;
  /** The network's VPC rules plus the ones GKE creates for the cluster. */
  firewalls: FirewallRule[];
  /** The nodes' network tags, GKE's own first, modelled as `gke-NAME-HASH-node` when the cluster id is unknown. */
  nodeTags: string[];
  /**
   * The tag proposed VPC rules target: GKE's real node tag, or none when only the modelled one is
   * known (GKE picks HASH when it creates the cluster; a rule on the literal tag would open nothing).
   */
  fixTag?: string;
  /** The nodes' service accounts, `default` resolved when the project number is known: what policy rules target. */
  nodeServiceAccounts: string[];
  /** Each end is absent when its range is unknown: flows with an unknown end are not judged. */
  ends: {
    /** Where the control plane's connections to nodes come from. */
    master?: TrafficEnd;
    /** Where nodes reach the control plane: its /28, or its Private Service Connect endpoint. */
    controlPlane?: TrafficEnd;
    nodes: TrafficEnd[];
    pods: TrafficEnd[];
    healthChecks: TrafficEnd[];
    googleApis: TrafficEnd;
  };
  /** The ports the cluster's load balancers health-check. */
  healthChecked: CheckedPorts[];
  /** What the report should say about this context; checks add theirs while they run. */
  notes: string[];
}

/** What every check of one cluster (or of the network alone) works from. */
export interface CheckContext extends FirewallContext {
  config: NetworkConfig;
}

/**
 * The firewall side of one cluster's checks, apart from the inputs it was read from: what the
 * sweep keeps of each cluster (`snapshots`), so the log sink judges denials as the checks do.
 */
export interface FirewallView {
  /**
   * What the stack is built from: the policies in force, the network's VPC rules (GKE's own
   * modelled when missing), the load balancer rules the manifests imply, the enforcement order.
   */
  stack: StackInput;
  /** The ports the cluster's load balancers health-check. */
  healthChecked: CheckedPorts[];
}

export const externalEnd = (range: Cidr): TrafficEnd => ({ range, tags: [], serviceAccounts: [], primaryAddress: false, instance: false });

export function inNetwork(network: string | undefined, resourceNetwork: string | undefined): boolean {
  return network === undefined || resourceNetwork === undefined || resourceNetwork === network;
}

/** The members of the cluster: nodes and pods, the instances its rules target. */
export function memberEnds(context: FirewallContext): TrafficEnd[] {
  return [...context.ends.nodes, ...context.ends.pods];
}

/** The first of the nodes' tags that is real: not GKE's tag modelled with a literal HASH for a cluster whose id is unknown. */
function realNodeTag(cluster: ClusterModel, nodeTags: readonly string[]): string | undefined {
  const modelled = gkeRulePrefix(cluster) || cluster.nodeTags.length > 0 ? undefined : gkeNodeTag(cluster);
  return nodeTags.find((tag) => tag !== modelled);
}

function nodeTagsOf(cluster: ClusterModel, rules: readonly FirewallRule[]): string[] {
  const live = ownGkeRules(rules, cluster).flatMap((rule) => rule.targetTags);
  return [...new Set([...live, gkeNodeTag(cluster), ...cluster.nodeTags])];
}

/** The control plane as the nodes' firewall sees it, and where nodes reach it. */
function controlPlaneEnds(cluster: ClusterModel | undefined, pods: readonly TrafficEnd[], notes: string[]): Pick<FirewallContext['ends'], 'master' | 'controlPlane'> {
  if (!cluster?.privateNodes) return {};
  if (cluster.masterCidr) return { master: externalEnd(cluster.masterCidr), controlPlane: externalEnd(cluster.masterCidr) };
  if (cluster.controlPlaneConnection !== 'psc') return {};
  const name = cluster.name ?? 'the cluster';
  notes.push(
    `${name} reaches its control plane through Private Service Connect (no control-plane /28): nodes were judged reaching its endpoint ${cluster.controlPlaneEndpoint ?? '(unknown)'} on tcp:443, and the control plane's calls to nodes and webhooks as coming from the konnectivity agents' pods (the pod range), since GKE does not document another source for them.`,
  );
  const ends: Pick<FirewallContext['ends'], 'master' | 'controlPlane'> = {};
  if (pods[0]) ends.master = pods[0];
  if (cluster.controlPlaneEndpoint) ends.controlPlane = externalEnd(parseCidr(cluster.controlPlaneEndpoint));
  return ends;
}

/** The rules in force on the cluster's nodes and the ports its load balancers check, as the inputs give them. */
export function firewallView(config: NetworkConfig, cluster: ClusterModel | undefined): { view: FirewallView; notes: string[] } {
  const firewalls = clusterFirewalls(config, cluster);
  const notes = [...firewalls.notes];
  if (!cluster) return { view: { stack: firewalls.input, healthChecked: [] }, notes };
  const health = healthCheckedPorts(config, firewalls.vpcRules, nodeTagsOf(cluster, firewalls.vpcRules));
  // A load balancer the manifests ask for gets GKE's firewall rule once applied: judge with it.
  const modelled = modelledLoadBalancerRules(health.checked, gkeNodeTag(cluster), cluster.network);
  if (health.checked.length === 0) {
    notes.push(`No load balancer health checks are known for ${cluster.name ?? 'the cluster'} (no GKE load balancer rules for its nodes among the inputs, no LoadBalancer Services or Ingresses among the manifests): health-check flows were not judged.`);
  }
  return { view: { stack: { ...firewalls.input, rules: [...firewalls.input.rules, ...modelled] }, healthChecked: health.checked }, notes: [...notes, ...health.notes] };
}

/** The evaluator, tags and ends of a cluster over its firewall view; `notes` gains what the ranges leave unjudged. */
export function firewallContext(view: FirewallView, cluster: ClusterModel | undefined, notes: string[] = []): FirewallContext {
  const network = cluster?.network;
  const firewalls = view.stack.rules.filter((rule) => !rule.policy);
  const nodeTags = cluster ? nodeTagsOf(cluster, firewalls) : [];
  const serviceAccounts = cluster ? resolveServiceAccounts(cluster.nodeServiceAccounts ?? [], cluster.projectNumber) : [];
  const name = cluster?.name ?? 'the cluster';
  if (cluster && cluster.nodeCidrs.length === 0) notes.push(`The node range of ${name} is unknown (pass --node-cidr or the subnetwork): flows to and from nodes were not judged.`);
  if (cluster && cluster.podCidrs.length === 0) notes.push(`The pod range of ${name} is unknown (pass --pod-cidr): flows to and from pods, and webhook ports, were not judged.`);
  const member = (range: Cidr, primaryAddress: boolean): TrafficEnd => ({ range, tags: nodeTags, serviceAccounts, primaryAddress, instance: true });
  const nodes = (cluster?.nodeCidrs ?? []).map((range) => member(range, true));
  // Pod IPs are alias ranges of the nodes: targets match them, source tags do not.
  const pods = (cluster?.podCidrs ?? []).map((range) => member(range, false));
  const stack = buildStack(view.stack);
  const context: FirewallContext = {
    stack,
    evaluator: new FirewallEvaluator(stack),
    firewalls,
    nodeTags,
    ...(cluster && realNodeTag(cluster, nodeTags) ? { fixTag: realNodeTag(cluster, nodeTags)! } : {}),
    nodeServiceAccounts: serviceAccounts,
    ends: {
      nodes,
      pods,
      healthChecks: HEALTH_CHECK_RANGES.filter((range) => range.family === 4).map(externalEnd),
      googleApis: externalEnd(RESTRICTED_APIS_RANGE),
      ...controlPlaneEnds(cluster, pods, notes),
    },
    healthChecked: view.healthChecked,
    notes,
  };
  if (cluster) context.cluster = cluster;
  if (network) context.network = network;
  const project = cluster ? networkProjectOf(cluster) : undefined;
  if (project) context.networkProject = project;
  return context;
}

export function buildContext(config: NetworkConfig, cluster: ClusterModel | undefined): CheckContext {
  const { view, notes } = firewallView(config, cluster);
  return { config, ...firewallContext(view, cluster, notes) };
}

/** Resources of the checked network: its own, or any when the network is unknown. */
export function onCheckedNetwork(context: CheckContext, resourceNetwork: string | undefined, resourceProject?: string): boolean {
  return onNetwork(context.network, context.networkProject, resourceNetwork, resourceProject);
}
