import type { Direction } from '../diagnosis/flow.js';
import type { FirewallFix } from '../firewall/fix.js';
import type { FirewallLayer } from '../firewall/rule.js';
import { findingId } from '../pipeline/fingerprint.js';
import type { CauseSpec } from './causes.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

export interface FlowSummary {
  /** For `kfguard check`: which required flow this is (master-to-node, node-to-master...). */
  name?: string;
  direction: Direction;
  protocol: string;
  source: string;
  destination: string;
  /** Single ports as numbers, port ranges as "from-to" (check findings report exactly the blocked ranges). */
  ports: (number | string)[];
  sourceClass?: string;
  destinationClass?: string;
}

export interface Remediation {
  summary: string;
  /** Commands to run, one per line; null where no command fixes it. */
  gcloud: string | null;
  /** A Config Connector manifest (YAML) that fixes it; null where none applies. */
  manifest: string | null;
  /** The same fix as Terraform resources (HCL), where kfguard builds the fix from a typed description. */
  terraform?: string | null;
  /** The typed descriptions the fix is rendered from: what `kfguard plan` merges and proves. */
  changes?: FirewallFix[];
  /** Where the fix goes: the firewall layer a firewall fix belongs to (absent for other fixes). */
  layer?: FirewallLayer;
  /** Whether kfguard applied the fix to the whole firewall stack and proved it (absent where it had no stack to prove it on). */
  verified?: boolean;
}

/** The prose and the fix of an observation: built only when a finding is first created, as rendering them costs more than diagnosing. */
export interface ObservationDetail {
  explanation: string;
  remediation: Remediation;
}

/** One diagnosed event or check result, before aggregation. */
export interface Observation {
  rule: string;
  severity: Severity;
  title: string;
  /** What makes two observations the same problem: rule, direction, protocol, classes, port, firewall rule. */
  key: string;
  flow: FlowSummary | null;
  firewallRule: string | null;
  /** The layer `firewallRule` sits in; present exactly when it is. */
  firewallLayer: FirewallLayer | null;
  resources: string[];
  detail(): ObservationDetail;
  /** RFC 3339; absent for config checks. */
  time?: string;
  /** When the evidence spans time (an operation), its end. */
  until?: string;
  /**
   * Observations of one cause that differ only by port share a group: past MAX_PORTS_PER_CAUSE
   * ports, the others fold into one finding for the group, so a port scan cannot make thousands.
   */
  portGroup?: { key: string; folded(): Observation };
  /** What this is evidence of, when other findings can be evidence of the same: see causes.ts. */
  cause?: CauseSpec;
  /** A logged denial judged against the rules in force (`analyze --rules`): those rules now let it through. */
  allowedNow?: boolean;
}

export interface Finding {
  /** Stable for the same cause in the same scope: the Firestore document id in the pipeline. */
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  flow: FlowSummary | null;
  firewallRule: string | null;
  firewallLayer: FirewallLayer | null;
  resources: string[];
  explanation: string;
  remediation: Remediation;
  evidenceOf: CauseSpec | null;
  /** Present for denials judged against the rules in force: true when those rules let every one of them through now. */
  allowedNow?: boolean;
}

export const MAX_RESOURCES = 20;

/** The scope of findings made outside the pipeline with no cluster to name them by. */
export const OFFLINE_SCOPE = 'offline';
export const MAX_PORTS_PER_CAUSE = 20;

/** Adds names (or ports) to a bounded, ordered set so one noisy finding cannot grow without limit. */
export function mergeResources<T>(into: T[], more: readonly T[], limit = MAX_RESOURCES): T[] {
  for (const name of more) {
    if (into.length >= limit) break;
    if (!into.includes(name)) into.push(name);
  }
  return into;
}

export function earlier(a: string | null, b: string | undefined): string | null {
  if (!b) return a;
  return a === null || Date.parse(b) < Date.parse(a) ? b : a;
}

export function later(a: string | null, b: string | undefined): string | null {
  if (!b) return a;
  return a === null || Date.parse(b) > Date.parse(a) ? b : a;
}

/** Groups observations by cause; `count` is the number of entries (or operations) behind each finding. */
export class FindingAggregator {
  private readonly byKey = new Map<string, Finding>();
  private readonly portsPerGroup = new Map<string, number>();

  /** `scope` is what the pipeline scopes findings by (the cluster's PROJECT:LOCATION:NAME), so ids agree with the store's. */
  constructor(private readonly scope = OFFLINE_SCOPE) {}

  add(observation: Observation, weight = 1): void {
    const existing = this.byKey.get(observation.key);
    if (existing) {
      existing.count += weight;
      existing.firstSeen = earlier(existing.firstSeen, observation.time);
      existing.lastSeen = later(existing.lastSeen, observation.until ?? observation.time);
      mergeResources(existing.resources, observation.resources);
      if (existing.allowedNow !== undefined) existing.allowedNow = existing.allowedNow && observation.allowedNow === true;
      // Only a folded finding gathers several ports.
      if (existing.flow && observation.flow) mergeResources(existing.flow.ports, observation.flow.ports);
      return;
    }
    const group = observation.portGroup;
    if (group) {
      const ports = this.portsPerGroup.get(group.key) ?? 0;
      if (ports >= MAX_PORTS_PER_CAUSE) {
        this.add(group.folded(), weight);
        return;
      }
      this.portsPerGroup.set(group.key, ports + 1);
    }
    this.byKey.set(observation.key, {
      id: findingId(this.scope, observation.key),
      rule: observation.rule,
      severity: observation.severity,
      title: observation.title,
      count: weight,
      firstSeen: observation.time ?? null,
      lastSeen: observation.until ?? observation.time ?? null,
      flow: observation.flow && { ...observation.flow, ports: [...observation.flow.ports] },
      firewallRule: observation.firewallRule,
      firewallLayer: observation.firewallLayer,
      resources: mergeResources([], observation.resources),
      ...observation.detail(),
      evidenceOf: observation.cause ?? null,
      ...(observation.allowedNow !== undefined ? { allowedNow: observation.allowedNow } : {}),
    });
  }

  findings(): Finding[] {
    return sortFindings([...this.byKey.values()]);
  }
}

/** Most severe first, then most frequent, then by rule id for a stable order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.count - a.count || a.rule.localeCompare(b.rule));
}
