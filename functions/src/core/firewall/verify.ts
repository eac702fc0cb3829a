import { cidrContainsCidr, parseCidr, type Cidr } from '../net/cidr.js';
import { FirewallEvaluator, type Traffic } from './evaluator.js';
import { firewallRuleDefaults, rangeCovers, type FirewallRule, type PortRange, type ProtocolSpec } from './rule.js';
import { unfilledPlaceholders, type FirewallProposal } from './proposal.js';

export function proposalToRule(proposal: FirewallProposal): FirewallRule {
  const rule: FirewallRule = {
    ...firewallRuleDefaults(proposal.name, proposal.direction, 'allow', 'proposal'),
    priority: proposal.priority,
    protocols: proposal.allow.map(({ protocol, ports }) => ({ protocol, ports: ports.map((port) => ({ from: port, to: port })) })),
    sourceRanges: (proposal.sourceRanges ?? []).map(parseCidr),
    destinationRanges: (proposal.destinationRanges ?? []).map(parseCidr),
    targetTags: proposal.targetTags,
    logging: true,
  };
  if (proposal.network) rule.network = proposal.network;
  return rule;
}

/** What a fix may open: the far side's ranges, and the protocols and ports of the flows it is for. */
export interface ProposalScope {
  farRanges: readonly Cidr[];
  protocols: readonly ProtocolSpec[];
}

const farEnd = (traffic: Traffic) => (traffic.direction === 'INGRESS' ? traffic.source : traffic.destination);

/** The scope of exactly these flows: their own far ranges, protocols and ports. */
export function scopeOf(flows: readonly Traffic[]): ProposalScope {
  return {
    farRanges: flows.map((traffic) => farEnd(traffic).range),
    protocols: flows.map((traffic) => ({ protocol: traffic.protocol, ports: [traffic.ports] })),
  };
}

const isEveryPort = (range: PortRange): boolean => range.from <= 1 && range.to === 65535;

/** Whether what `spec` opens (every port when it lists none) lies within the scope's ports for its protocol, taken together. */
function withinScope(scope: readonly ProtocolSpec[], spec: ProtocolSpec): boolean {
  const same = scope.filter((allowed) => allowed.protocol === spec.protocol);
  if (same.some((allowed) => allowed.ports.length === 0)) return true;
  const ranges = same.flatMap((allowed) => allowed.ports);
  if (spec.ports.length === 0) return ranges.some(isEveryPort);
  return spec.ports.every((range) => ranges.some((outer) => rangeCovers(outer, range)));
}

export interface ProposalCheck {
  /** With the proposed rule added, every flow is allowed. */
  letsThrough: boolean;
  /** The proposal opens no range, protocol or port beyond the scope. */
  minimal: boolean;
  /** Placeholders the operator must fill in first; while any is left, nothing was proved. */
  unfilled: string[];
}

/**
 * Proves a proposed fix against the rules it joins: it must let every flow through, and open
 * nothing beyond the scope (by default the flows' own far ranges, protocols and ports; a finding
 * that stands for a whole class passes the class's ranges).
 */
export function verifyProposal(rules: readonly FirewallRule[], proposal: FirewallProposal, flows: readonly Traffic[], scope: ProposalScope = scopeOf(flows)): ProposalCheck {
  const unfilled = unfilledPlaceholders(proposal);
  if (unfilled.length > 0) return { letsThrough: false, minimal: false, unfilled };
  const rule = proposalToRule(proposal);
  const evaluator = new FirewallEvaluator([...rules, rule]);
  const letsThrough = flows.every((traffic) => evaluator.evaluate(traffic).allowed);
  const far = rule.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
  const rangesWithin = far.length > 0 && far.every((range) => scope.farRanges.some((outer) => cidrContainsCidr(outer, range)));
  const protocolsWithin = rule.protocols.every((spec) => withinScope(scope.protocols, spec));
  return { letsThrough, minimal: rangesWithin && protocolsWithin, unfilled };
}
