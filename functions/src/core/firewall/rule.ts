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

export type RuleOrigin = 'manifest' | 'gcloud' | 'gke' | 'implied' | 'proposal';

/** A VPC firewall rule in the form the evaluator needs, whatever it was read from. */
export interface FirewallRule {
  name: string;
  network?: string;
  direction: Direction;
  /** 0-65535, lower wins; GCP's default is 1000. */
  priority: number;
  action: 'allow' | 'deny';
  protocols: ProtocolSpec[];
  sourceRanges: Cidr[];
  sourceTags: string[];
  sourceServiceAccounts: string[];
  destinationRanges: Cidr[];
  targetTags: string[];
  targetServiceAccounts: string[];
  disabled: boolean;
  logging: boolean;
  origin: RuleOrigin;
  /** Where it was read from, for messages: `FILE:LINE` or an export name. */
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

export function portsText(ports: readonly PortRange[]): string {
  return ports.map((range) => (range.from === range.to ? String(range.from) : `${range.from}-${range.to}`)).join(',');
}

export function rangeCovers(outer: PortRange, inner: PortRange): boolean {
  return outer.from <= inner.from && inner.to <= outer.to;
}

export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

export function firewallRuleDefaults(name: string, direction: Direction, action: FirewallRule['action'], origin: RuleOrigin): FirewallRule {
  return {
    name,
    direction,
    priority: 1000,
    action,
    protocols: [],
    sourceRanges: [],
    sourceTags: [],
    sourceServiceAccounts: [],
    destinationRanges: [],
    targetTags: [],
    targetServiceAccounts: [],
    disabled: false,
    logging: false,
    origin,
  };
}
