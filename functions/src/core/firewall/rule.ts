import type { Cidr } from '../net/cidr.js';
import type { Direction } from '../diagnosis/flow.js';

/** An inclusive port range; a single port has from === to. */
export interface PortRange {
  from: number;
  to: number;
}

export const ALL_PORTS: PortRange = { from: 0, to: 65535 };

export interface ProtocolSpec {
  /** A protocol name (tcp, udp, icmp...), a number for the rest, or `all`. */
  protocol: string;
  /** Empty means every port. */
  ports: PortRange[];
}

export type RuleOrigin = 'manifest' | 'gcloud' | 'terraform' | 'gke' | 'implied' | 'proposal';

/**
 * Where a rule sits in Cloud NGFW's evaluation: the contract values of `firewallLayer` and
 * `remediation.layer`.
 */
export type FirewallLayer = 'hierarchical-policy' | 'vpc-firewall' | 'network-policy' | 'regional-network-policy' | 'implied';
export const FIREWALL_LAYERS: readonly FirewallLayer[] = ['hierarchical-policy', 'vpc-firewall', 'network-policy', 'regional-network-policy', 'implied'];

/** `goto_next` hands the traffic to the next layer; `apply_security_profile_group` lets it through to inspection. */
export type FirewallAction = 'allow' | 'deny' | 'goto_next' | 'apply_security_profile_group';

export type PolicyKind = 'hierarchical' | 'network' | 'regional-network' | 'system-global' | 'system-regional';

/** The firewall policy a rule belongs to. */
export interface PolicyRef {
  /** The API's `name`: the numeric id of a hierarchical policy, the chosen name of a network policy. */
  name: string;
  kind: PolicyKind;
  shortName?: string;
  /** `organizations/N` or `folders/N` for hierarchical policies, when known. */
  parent?: string;
  /** Regional network policies: their region. */
  region?: string;
  /** The project that holds a network policy. */
  project?: string;
}

/** A VPC firewall rule or a firewall policy rule, in the form the evaluator needs, whatever it was read from. */
export interface FirewallRule {
  /** A VPC rule's name; a policy rule is named `firewallPolicy:POLICY/priority:N`. */
  name: string;
  layer: FirewallLayer;
  policy?: PolicyRef;
  network?: string;
  /** The project the rule lives in: for Shared VPC, the host project. */
  project?: string;
  direction: Direction;
  /** VPC rules 0-65535 (default 1000); policy rules 0-2147483647, unique within their policy. Lower wins. */
  priority: number;
  action: FirewallAction;
  protocols: ProtocolSpec[];
  sourceRanges: Cidr[];
  sourceTags: string[];
  sourceServiceAccounts: string[];
  /** Policy rules: secure tags (tagValues/N) the source must carry. */
  sourceSecureTags: string[];
  destinationRanges: Cidr[];
  targetTags: string[];
  targetServiceAccounts: string[];
  targetSecureTags: string[];
  /** Hierarchical policy rules: the networks whose VMs get the rule (empty: every VM). */
  targetNetworks: string[];
  /**
   * Match conditions kfguard cannot turn into addresses (address groups, FQDNs, geolocations,
   * threat intelligence lists, network types), each described for the reader. A rule with any is
   * judged both ways: matching and not.
   */
  opaqueSources: string[];
  opaqueDestinations: string[];
  disabled: boolean;
  logging: boolean;
  origin: RuleOrigin;
  /** Rules GKE creates and reconciles itself (`gke-NAME-HASH-vms`, `k8s-fw-l7-*`...), live or modelled. */
  managedByGke: boolean;
  /** Where it was read from, for messages: `FILE:LINE`, an export name or a Terraform address. */
  location?: string;
  description?: string;
}

export class PortError extends Error {}

/** Parses a port spec as written in rules: "443" or "30000-32767". */
export function parsePortRange(text: string): PortRange {
  const match = String(text).trim().match(/^(\d{1,5})(?:-(\d{1,5}))?$/);
  if (!match) throw new PortError(`"${text}" is not a port or port range`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from > 65535 || to > 65535 || from > to) throw new PortError(`"${text}" is not a valid port range (0-65535, low-high)`);
  return { from, to };
}

export function rangeCovers(outer: PortRange, inner: PortRange): boolean {
  return outer.from <= inner.from && inner.to <= outer.to;
}

export function firewallRuleDefaults(name: string, direction: Direction, action: FirewallAction, origin: RuleOrigin, layer: FirewallLayer = 'vpc-firewall'): FirewallRule {
  return {
    name,
    layer,
    direction,
    priority: 1000,
    action,
    protocols: [],
    sourceRanges: [],
    sourceTags: [],
    sourceServiceAccounts: [],
    sourceSecureTags: [],
    destinationRanges: [],
    targetTags: [],
    targetServiceAccounts: [],
    targetSecureTags: [],
    targetNetworks: [],
    opaqueSources: [],
    opaqueDestinations: [],
    disabled: false,
    logging: false,
    origin,
    managedByGke: origin === 'gke',
  };
}

/** The layer a policy's rules are evaluated in; Google-managed system policies sit with the network ones. */
export function policyLayer(policy: PolicyRef): FirewallLayer {
  if (policy.kind === 'hierarchical') return 'hierarchical-policy';
  return policy.kind === 'network' || policy.kind === 'system-global' ? 'network-policy' : 'regional-network-policy';
}

/** How a policy rule is named in findings: `firewallPolicy:POLICY/priority:N`. */
export function policyRuleName(policy: string, priority: number): string {
  return `firewallPolicy:${policy}/priority:${priority}`;
}

export function isPolicyRule(rule: FirewallRule): boolean {
  return rule.policy !== undefined;
}

/** "firewall rule X (priority 900)", "firewall policy 123 rule at priority 700 (hierarchical)": how a rule is named in prose. */
export function describeRule(rule: FirewallRule): string {
  if (rule.layer === 'implied') return `the implied ${rule.direction === 'INGRESS' ? 'deny-ingress' : 'allow-egress'} rule`;
  if (!rule.policy) return `firewall rule ${rule.name} (priority ${rule.priority})`;
  const kind = { hierarchical: 'hierarchical', network: 'global network', 'regional-network': 'regional network', 'system-global': 'Google-managed system', 'system-regional': 'Google-managed regional system' }[rule.policy.kind];
  const label = rule.policy.shortName && rule.policy.shortName !== rule.policy.name ? ` (${rule.policy.shortName})` : '';
  return `the rule at priority ${rule.priority} of ${kind} firewall policy ${rule.policy.name}${label}`;
}
