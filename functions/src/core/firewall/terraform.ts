import { renderHcl, terraformName, type HclBlock } from '../report/hcl.js';
import { PLACEHOLDER_NETWORK, PLACEHOLDER_PROJECT, portText, type AllowedProtocol, type FirewallProposal } from './proposal.js';
import { COMPUTE_URL, type PolicyRuleProposal } from './policy-proposal.js';

const portsOf = (allow: AllowedProtocol): readonly string[] | undefined => (allow.ports.length > 0 ? allow.ports.map(portText) : undefined);

/** A `google_compute_firewall` (hashicorp/google 6.x), logging on like every rule kfguard proposes. */
export function firewallResource(proposal: FirewallProposal): HclBlock {
  return {
    type: 'resource',
    labels: ['google_compute_firewall', terraformName(proposal.name)],
    body: [
      ['name', proposal.name],
      ['project', proposal.project ?? PLACEHOLDER_PROJECT],
      ['network', proposal.network ?? PLACEHOLDER_NETWORK],
      ['direction', proposal.direction],
      ['priority', proposal.priority],
      ['description', proposal.description],
      ...proposal.allow.map((allow): HclBlock => ({ type: 'allow', body: [['protocol', allow.protocol], ['ports', portsOf(allow)]] })),
      ['source_ranges', proposal.sourceRanges?.length ? proposal.sourceRanges : undefined],
      ['destination_ranges', proposal.destinationRanges?.length ? proposal.destinationRanges : undefined],
      ['target_tags', proposal.targetTags.length ? proposal.targetTags : undefined],
      { type: 'log_config', body: [['metadata', 'INCLUDE_ALL_METADATA']] },
    ],
  };
}

const POLICY_RULE_RESOURCE: Record<PolicyRuleProposal['policy']['kind'], string | undefined> = {
  hierarchical: 'google_compute_firewall_policy_rule',
  network: 'google_compute_network_firewall_policy_rule',
  'regional-network': 'google_compute_region_network_firewall_policy_rule',
  'system-global': undefined,
  'system-regional': undefined,
};

/** The rule as its policy's Terraform resource: hierarchical, global network or regional network. */
export function policyRuleResource(proposal: PolicyRuleProposal): HclBlock {
  const { policy } = proposal;
  const resource = POLICY_RULE_RESOURCE[policy.kind];
  if (!resource) throw new Error(`${policy.name}: Google manages system firewall policies; no rule can be added to them`);
  const hierarchical = policy.kind === 'hierarchical';
  const match: HclBlock = {
    type: 'match',
    body: [
      ['src_ip_ranges', proposal.sourceRanges?.length ? proposal.sourceRanges : undefined],
      ['dest_ip_ranges', proposal.destinationRanges?.length ? proposal.destinationRanges : undefined],
      ...proposal.allow.map((allow): HclBlock => ({ type: 'layer4_configs', body: [['ip_protocol', allow.protocol], ['ports', portsOf(allow)]] })),
    ],
  };
  return {
    type: 'resource',
    labels: [resource, terraformName(`${policy.shortName ?? policy.name}_${proposal.priority}`)],
    body: [
      ['firewall_policy', policy.name],
      ['project', hierarchical ? undefined : (proposal.project ?? PLACEHOLDER_PROJECT)],
      ['region', policy.kind === 'regional-network' ? (policy.region ?? 'REGION') : undefined],
      ['priority', proposal.priority],
      ['action', proposal.action],
      ['direction', proposal.direction],
      ['description', proposal.description],
      // Cloud NGFW refuses logging on goto_next rules.
      ['enable_logging', proposal.action !== 'goto_next'],
      ['target_service_accounts', proposal.targetServiceAccounts.length ? proposal.targetServiceAccounts : undefined],
      ['target_resources', proposal.targetNetworks.length ? proposal.targetNetworks.map((path) => `${COMPUTE_URL}${path}`) : undefined],
      match,
    ],
  };
}

export function renderFirewallTerraform(proposal: FirewallProposal): string {
  return renderHcl([firewallResource(proposal)]);
}

export function renderPolicyRuleTerraform(proposal: PolicyRuleProposal): string {
  return renderHcl([policyRuleResource(proposal)]);
}
