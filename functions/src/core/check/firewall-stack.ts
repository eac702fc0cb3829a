import { networkProjectOf, regionOfLocation, type ClusterModel } from '../model/cluster.js';
import type { FirewallPolicySpec, NetworkConfig } from '../config/specs.js';
import { gkeCreatedRules, ownGkeRules } from '../firewall/gke-rules.js';
import type { FirewallRule, PolicyRef } from '../firewall/rule.js';
import { buildStack, type FirewallStack, type StackInput } from '../firewall/stack.js';

const agrees = (a: string | undefined, b: string | undefined): boolean => a === undefined || b === undefined || a === b;

/** Whether a resource on `resourceNetwork` (in `resourceProject`) is on the network being checked. */
export function onNetwork(network: string | undefined, project: string | undefined, resourceNetwork: string | undefined, resourceProject: string | undefined): boolean {
  return agrees(network, resourceNetwork) && agrees(project, resourceProject);
}

const samePolicy = (a: PolicyRef, b: PolicyRef): boolean => a.kind === b.kind && a.name === b.name && (a.region ?? '') === (b.region ?? '');

/** Whether a policy is in force on the network (and region), and what kfguard had to assume to say so. */
function policyApplies(spec: FirewallPolicySpec | undefined, policy: PolicyRef, network: string | undefined, region: string | undefined): { applies: boolean; assumption?: string } {
  if (policy.region && region && policy.region !== region) return { applies: false };
  const label = `firewall policy ${policy.shortName ?? policy.name}`;
  const attachments = spec?.attachments;
  if (attachments === undefined) return { applies: true, assumption: `The inputs do not say what ${label} is attached to: kfguard assumed it is in force on ${network ?? 'the network'}.` };
  if (network !== undefined && attachments.includes(network)) return { applies: true };
  if (policy.kind !== 'hierarchical') return { applies: false };
  const hierarchy = attachments.filter((target) => /^(organizations|folders)\//.test(target));
  if (hierarchy.length === 0) return { applies: false, assumption: `${label} is attached to nothing among the inputs: it was not evaluated.` };
  return { applies: true, assumption: `${label} is attached to ${hierarchy.join(', ')}: kfguard assumed the project is under it.` };
}

export interface ClusterFirewalls {
  /** What the stack is built from: the rules in force and the network's enforcement order. */
  input: StackInput;
  /** Built when first asked for: the checks build theirs from `input` with the load balancer rules added. */
  readonly stack: FirewallStack;
  /** The VPC rules on the network, with GKE's own rules modelled when the inputs lack them. */
  vpcRules: FirewallRule[];
  notes: string[];
}

/**
 * Every rule that decides traffic of the cluster's nodes, in Cloud NGFW's order: the policies in
 * force on its network and region, the network's VPC rules (in the host project for Shared VPC),
 * the rules GKE creates for the cluster, and the network's enforcement order.
 */
export function clusterFirewalls(config: NetworkConfig, cluster: ClusterModel | undefined): ClusterFirewalls {
  const network = cluster?.network;
  const project = cluster ? networkProjectOf(cluster) : undefined;
  const region = cluster?.subnetworkRegion ?? regionOfLocation(cluster?.location);
  const notes: string[] = [];
  const vpc = config.firewalls.filter((rule) => !rule.policy);
  const onThisNetwork = vpc.filter((rule) => onNetwork(network, project, rule.network, rule.project));
  const here = new Set(onThisNetwork);
  const elsewhere = [...new Set(vpc.filter((rule) => !here.has(rule)).map((rule) => rule.network))];
  if (elsewhere.length > 0) notes.push(`${vpc.length - onThisNetwork.length} VPC firewall rules among the inputs are on other networks (${elsewhere.join(', ')}) than ${network}: they do not apply to ${cluster?.name ?? 'the cluster'}.`);
  const modelled = cluster && ownGkeRules(onThisNetwork, cluster).length === 0 ? gkeCreatedRules(cluster) : [];
  const vpcRules = [...onThisNetwork, ...modelled];
  const verdicts = new Map<FirewallPolicySpec | PolicyRef, boolean>();
  const applies = (policy: PolicyRef): boolean => {
    const spec = config.firewallPolicies.find((candidate) => samePolicy(candidate.ref, policy));
    const key = spec ?? policy;
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const verdict = policyApplies(spec, policy, network, region);
    if (verdict.assumption) notes.push(verdict.assumption);
    verdicts.set(key, verdict.applies);
    return verdict.applies;
  };
  const policyRules = config.firewalls.filter((rule) => rule.policy && applies(rule.policy));
  const candidates = config.networks.filter((candidate) => candidate.name === network && agrees(candidate.project, project));
  const described = candidates.find((candidate) => candidate.live) ?? candidates[0];
  const input: StackInput = { rules: [...policyRules, ...vpcRules], policiesKnown: config.coverage.has('firewall-policies') };
  if (network) input.network = network;
  if (described?.enforcementOrder) input.enforcementOrder = described.enforcementOrder;
  let stack: FirewallStack | undefined;
  return {
    input,
    get stack() {
      return (stack ??= buildStack(input));
    },
    vpcRules,
    notes,
  };
}
