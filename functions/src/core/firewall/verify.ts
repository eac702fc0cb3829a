import { cidrContainsCidr, parseCidr, type Cidr } from '../net/cidr.js';
import { FirewallEvaluator, type Traffic } from './evaluator.js';
import { firewallRuleDefaults, rangeCovers, type FirewallRule } from './rule.js';
import type { FirewallProposal } from './proposal.js';

export function proposalToRule(proposal: FirewallProposal): FirewallRule {
  const rule: FirewallRule = {
    ...firewallRuleDefaults(proposal.name, proposal.direction, 'allow', 'proposal'),
    priority: proposal.priority,
    protocols: [{ protocol: proposal.protocol, ports: proposal.ports.map((port) => ({ from: port, to: port })) }],
    sourceRanges: (proposal.sourceRanges ?? []).map(parseCidr),
    destinationRanges: (proposal.destinationRanges ?? []).map(parseCidr),
    targetTags: proposal.targetTags,
    logging: true,
  };
  if (proposal.network) rule.network = proposal.network;
  return rule;
}

export interface ProposalCheck {
  /** With the proposed rule added, the traffic is allowed. */
  letsThrough: boolean;
  /** The proposal opens no range or port beyond the traffic's own. */
  minimal: boolean;
}

/**
 * Proves a proposed fix against the rules it joins: it must let the traffic through, and open
 * nothing beyond the traffic's ports and the far side's ranges (`farRanges`, else the traffic's own).
 */
export function verifyProposal(rules: readonly FirewallRule[], proposal: FirewallProposal, traffic: Traffic, farRanges?: readonly Cidr[]): ProposalCheck {
  const rule = proposalToRule(proposal);
  const letsThrough = new FirewallEvaluator([...rules, rule]).evaluate(traffic).allowed;
  const far = traffic.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
  // The far side may be a whole class (both health-check ranges) rather than the traffic's own range.
  const allowed = farRanges ?? [(traffic.direction === 'INGRESS' ? traffic.source : traffic.destination).range];
  const rangesWithin = far.length > 0 && far.every((range) => allowed.some((outer) => cidrContainsCidr(outer, range)));
  const allPorts = traffic.ports.from <= 1 && traffic.ports.to === 65535;
  const portsWithin = rule.protocols.every(
    (spec) => spec.protocol === traffic.protocol && (spec.ports.length === 0 ? allPorts : spec.ports.every((range) => rangeCovers(traffic.ports, range))),
  );
  return { letsThrough, minimal: rangesWithin && portsWithin };
}
