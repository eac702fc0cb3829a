import { stringify } from 'yaml';
import { parseCidr } from '../net/cidr.js';
import type { Direction } from '../diagnosis/flow.js';
import { allowSpec, gcpResourceName, PLACEHOLDER_PROJECT, portText, shellArg, type AllowedProtocol } from './proposal.js';
import { firewallRuleDefaults, policyLayer, policyRuleName, type FirewallRule, type PolicyRef } from './rule.js';

/** A rule kfguard proposes to add to a firewall policy: the fix where a policy decides. */
export interface PolicyRuleProposal {
  policy: PolicyRef;
  priority: number;
  /** `goto_next` hands the traffic to the next layer; `allow` ends evaluation there. */
  action: 'allow' | 'goto_next';
  direction: Direction;
  allow: AllowedProtocol[];
  sourceRanges?: string[];
  destinationRanges?: string[];
  targetServiceAccounts: string[];
  /** Hierarchical rules: the networks whose VMs get the rule, as `projects/P/global/networks/N`. */
  targetNetworks: string[];
  /** The project of a network policy (hierarchical policies belong to no project). */
  project?: string;
  description: string;
}

export const COMPUTE_URL = 'https://www.googleapis.com/compute/v1/';

export function networkPath(project: string | undefined, network: string): string {
  return `projects/${project ?? PLACEHOLDER_PROJECT}/global/networks/${network}`;
}

/** `gcloud compute firewall-policies rules create` or `network-firewall-policies rules create`, as the policy's kind needs. */
export function renderPolicyGcloud(proposal: PolicyRuleProposal): string {
  const { policy } = proposal;
  const hierarchical = policy.kind === 'hierarchical';
  const args = [
    `gcloud compute ${hierarchical ? 'firewall-policies' : 'network-firewall-policies'} rules create ${proposal.priority}`,
    `--firewall-policy=${shellArg(policy.name)}`,
  ];
  if (!hierarchical) args.push(policy.kind === 'regional-network' ? `--firewall-policy-region=${shellArg(policy.region ?? 'REGION')}` : '--global-firewall-policy', `--project=${shellArg(proposal.project ?? PLACEHOLDER_PROJECT)}`);
  args.push(`--action=${proposal.action}`, `--direction=${proposal.direction}`);
  if (proposal.sourceRanges?.length) args.push(`--src-ip-ranges=${proposal.sourceRanges.join(',')}`);
  if (proposal.destinationRanges?.length) args.push(`--dest-ip-ranges=${proposal.destinationRanges.join(',')}`);
  args.push(`--layer4-configs=${allowSpec(proposal.allow)}`);
  if (proposal.targetServiceAccounts.length) args.push(`--target-service-accounts=${proposal.targetServiceAccounts.map(shellArg).join(',')}`);
  if (proposal.targetNetworks.length) args.push(`--target-resources=${proposal.targetNetworks.map((path) => shellArg(`${COMPUTE_URL}${path}`)).join(',')}`);
  // Cloud NGFW refuses logging on goto_next rules.
  if (proposal.action !== 'goto_next') args.push('--enable-logging');
  args.push(`--description=${shellArg(proposal.description)}`);
  return args.join(' ');
}

/** ComputeFirewallPolicyRule or ComputeNetworkFirewallPolicyRule (Config Connector). */
export function renderPolicyManifest(proposal: PolicyRuleProposal): string {
  const { policy } = proposal;
  const match: Record<string, unknown> = {};
  if (proposal.sourceRanges?.length) match['srcIPRanges'] = proposal.sourceRanges;
  if (proposal.destinationRanges?.length) match['destIPRanges'] = proposal.destinationRanges;
  match['layer4Configs'] = proposal.allow.map(({ protocol, ports }) => (ports.length > 0 ? { ipProtocol: protocol, ports: ports.map(portText) } : { ipProtocol: protocol }));
  const spec: Record<string, unknown> = {
    firewallPolicyRef: { external: policy.name },
    priority: proposal.priority,
    action: proposal.action,
    direction: proposal.direction,
    match,
  };
  if (proposal.targetServiceAccounts.length) spec['targetServiceAccounts'] = proposal.targetServiceAccounts.map((email) => ({ external: email }));
  if (proposal.targetNetworks.length) spec['targetResources'] = proposal.targetNetworks.map((path) => ({ external: `${COMPUTE_URL}${path}` }));
  spec['enableLogging'] = proposal.action !== 'goto_next';
  spec['description'] = proposal.description;
  return stringify({
    apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
    kind: policy.kind === 'hierarchical' ? 'ComputeFirewallPolicyRule' : 'ComputeNetworkFirewallPolicyRule',
    metadata: { name: gcpResourceName(policy.shortName ?? policy.name, 'kfguard', proposal.priority) },
    spec,
  });
}

/** The proposal as a rule of its policy, to evaluate the stack with it. */
export function policyProposalToRule(proposal: PolicyRuleProposal): FirewallRule {
  const rule: FirewallRule = {
    ...firewallRuleDefaults(policyRuleName(proposal.policy.name, proposal.priority), proposal.direction, proposal.action, 'proposal', policyLayer(proposal.policy)),
    policy: proposal.policy,
    priority: proposal.priority,
    protocols: proposal.allow.map(({ protocol, ports }) => ({ protocol, ports })),
    sourceRanges: (proposal.sourceRanges ?? []).map(parseCidr),
    destinationRanges: (proposal.destinationRanges ?? []).map(parseCidr),
    targetServiceAccounts: proposal.targetServiceAccounts,
    targetNetworks: proposal.targetNetworks.map((path) => path.split('/').pop()!),
    logging: proposal.action !== 'goto_next',
  };
  if (proposal.project) rule.project = proposal.project;
  return rule;
}

/** `gcloud ... rules update` for an existing rule, VPC or policy, with the flags given (`--enable-logging`). */
export function renderRuleUpdate(rule: FirewallRule, flags: string[], networkProject?: string): string {
  const owner = rule.project ?? networkProject;
  const project = owner ? ` --project=${shellArg(owner)}` : '';
  if (!rule.policy) return `gcloud compute firewall-rules update ${shellArg(rule.name)}${project} ${flags.join(' ')}`;
  const { policy } = rule;
  if (policy.kind === 'hierarchical') return `gcloud compute firewall-policies rules update ${rule.priority} --firewall-policy=${shellArg(policy.name)} ${flags.join(' ')}`;
  const scope = policy.kind === 'regional-network' ? `--firewall-policy-region=${shellArg(policy.region ?? 'REGION')}` : '--global-firewall-policy';
  return `gcloud compute network-firewall-policies rules update ${rule.priority} --firewall-policy=${shellArg(policy.name)} ${scope}${project} ${flags.join(' ')}`;
}
