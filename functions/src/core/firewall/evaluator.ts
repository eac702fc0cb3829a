import { ANYWHERE_V4 } from '../net/well-known.js';
import { cidrContainsCidr, cidrsOverlap, parseCidr, type Cidr } from '../net/cidr.js';
import type { Direction } from '../diagnosis/flow.js';
import { ALL_PORTS, firewallRuleDefaults, rangeCovers, rangesOverlap, type FirewallRule, type PortRange } from './rule.js';

const ANYWHERE_V6 = parseCidr('::/0');

/** One side of the traffic being judged: a range of addresses, and what instance they belong to. */
export interface TrafficEnd {
  range: Cidr;
  /** Network tags and service account of the instance, when the addresses are a VM's. */
  tags: readonly string[];
  serviceAccounts: readonly string[];
  /** Source tags and service accounts match only a VM's primary address, not alias ranges (pods). */
  primaryAddress: boolean;
  /** Whether these addresses are instances in the network (targets only ever match instances). */
  instance: boolean;
}

export interface Traffic {
  direction: Direction;
  protocol: string;
  ports: PortRange;
  source: TrafficEnd;
  destination: TrafficEnd;
}

export interface Verdict {
  allowed: boolean;
  rule: FirewallRule;
}

export const IMPLIED_DENY_INGRESS: FirewallRule = { ...firewallRuleDefaults('implied-deny-ingress', 'INGRESS', 'deny', 'implied'), priority: 65535, protocols: [{ protocol: 'all', ports: [] }] };
export const IMPLIED_ALLOW_EGRESS: FirewallRule = { ...firewallRuleDefaults('implied-allow-egress', 'EGRESS', 'allow', 'implied'), priority: 65535, protocols: [{ protocol: 'all', ports: [] }] };

/** Priority order: lower number first; at equal priority deny before allow, as GCP applies them. */
export function compareRules(a: FirewallRule, b: FirewallRule): number {
  return a.priority - b.priority || (a.action === b.action ? 0 : a.action === 'deny' ? -1 : 1) || a.name.localeCompare(b.name);
}

const intersects = (a: readonly string[], b: readonly string[]): boolean => a.some((item) => b.includes(item));

function targetsMatch(rule: FirewallRule, instance: TrafficEnd): boolean {
  if (rule.targetTags.length === 0 && rule.targetServiceAccounts.length === 0) return true;
  if (!instance.instance) return false;
  return intersects(rule.targetTags, instance.tags) || intersects(rule.targetServiceAccounts, instance.serviceAccounts);
}

/**
 * Whether a rule's ranges take in the traffic's range. An allow must cover all of it to let the
 * whole flow through; a deny that touches any part of it blocks that part, so overlap is enough.
 */
function rangesMatch(ranges: readonly Cidr[], range: Cidr, whole: boolean): boolean {
  return ranges.some((candidate) => (whole ? cidrContainsCidr(candidate, range) : cidrsOverlap(candidate, range)));
}

function anywhere(range: Cidr): Cidr[] {
  return [range.family === 4 ? ANYWHERE_V4 : ANYWHERE_V6];
}

function sourcesMatch(rule: FirewallRule, source: TrafficEnd, whole: boolean): boolean {
  const unspecified = rule.sourceRanges.length === 0 && rule.sourceTags.length === 0 && rule.sourceServiceAccounts.length === 0;
  if (unspecified) return true;
  if (rangesMatch(rule.sourceRanges, source.range, whole)) return true;
  if (!source.primaryAddress) return false;
  return intersects(rule.sourceTags, source.tags) || intersects(rule.sourceServiceAccounts, source.serviceAccounts);
}

function protocolMatches(rule: FirewallRule, traffic: Traffic, whole: boolean): boolean {
  return rule.protocols.some(
    (spec) =>
      (spec.protocol === 'all' || spec.protocol === traffic.protocol) &&
      (spec.ports.length === 0 || spec.ports.some((range) => (whole ? rangeCovers(range, traffic.ports) : rangesOverlap(range, traffic.ports)))),
  );
}

/** Whether `rule` decides `traffic`: for an allow, for all of it; for a deny, for any part of it. */
export function ruleApplies(rule: FirewallRule, traffic: Traffic): boolean {
  if (rule.disabled || rule.direction !== traffic.direction) return false;
  const whole = rule.action === 'allow';
  if (!protocolMatches(rule, traffic, whole)) return false;
  if (traffic.direction === 'INGRESS') {
    if (!targetsMatch(rule, traffic.destination) || !sourcesMatch(rule, traffic.source, whole)) return false;
    return rule.destinationRanges.length === 0 || rangesMatch(rule.destinationRanges, traffic.destination.range, whole);
  }
  if (!targetsMatch(rule, traffic.source)) return false;
  const destinations = rule.destinationRanges.length > 0 ? rule.destinationRanges : anywhere(traffic.destination.range);
  if (!rangesMatch(destinations, traffic.destination.range, whole)) return false;
  return rule.sourceRanges.length === 0 || rangesMatch(rule.sourceRanges, traffic.source.range, whole);
}

/**
 * VPC firewall semantics over a rule set: the first applicable rule in priority order decides,
 * ending with the implied deny-ingress and allow-egress rules. Judging ranges rather than single
 * packets, the answer is "allowed" only when every address and port of the traffic is; a flow
 * allowed piecewise by several partial allow rules is reported as blocked (conservative).
 */
export class FirewallEvaluator {
  private readonly ordered: FirewallRule[];

  constructor(rules: readonly FirewallRule[]) {
    this.ordered = [...rules.filter((rule) => !rule.disabled), IMPLIED_DENY_INGRESS, IMPLIED_ALLOW_EGRESS].sort(compareRules);
  }

  evaluate(traffic: Traffic): Verdict {
    for (const rule of this.ordered) {
      if (ruleApplies(rule, traffic)) return { allowed: rule.action === 'allow', rule };
    }
    // Unreachable: the implied rules match every packet of their direction.
    const implied = traffic.direction === 'INGRESS' ? IMPLIED_DENY_INGRESS : IMPLIED_ALLOW_EGRESS;
    return { allowed: implied.action === 'allow', rule: implied };
  }
}

export function portRange(port: number | undefined): PortRange {
  return port === undefined ? ALL_PORTS : { from: port, to: port };
}
