import type { Direction } from '../diagnosis/flow.js';
import { shortHash } from '../pipeline/fingerprint.js';
import { severityRank, type Severity } from './finding.js';

/**
 * What a finding is evidence of. Findings seen another way (a DENIED log entry, the API server's
 * failed webhook call, the live rules, a manifest) that are evidence of the same thing are one
 * cause: a firewall rule blocking a flow the cluster needs, or a resource that is missing.
 */
export type CauseSpec = BlockedFlowCause | MissingResourceCause;

export interface BlockedFlowCause {
  kind: 'blocked-flow';
  direction: Direction;
  /** The class of the far side: the source of ingress, the destination of egress. */
  far: string;
  protocol: string;
  /** Single ports as numbers; ranges ("1-65535") tie nothing together. */
  ports: readonly (number | string)[];
  /** The deciding rule, when the evidence names it (a failed webhook call does not). */
  rule: string | null;
}

export interface MissingResourceCause {
  kind: 'missing';
  /** What is missing, the same from every side: `private-dns`, `google-apis-route`. */
  resource: string;
  title: string;
}

export function blockedFlowCause(direction: Direction, far: string, protocol: string, ports: readonly (number | string)[], rule: string | null): BlockedFlowCause {
  return { kind: 'blocked-flow', direction, far: clusterSide(far) ? 'cluster' : far, protocol, ports, rule };
}

export function missingResourceCause(resource: string, title: string): MissingResourceCause {
  return { kind: 'missing', resource, title };
}

/** The cluster's own addresses: traffic between them is one side, whichever of them it is. */
const clusterSide = (cls: string): boolean => cls === 'node' || cls === 'pod' || cls === 'service' || cls === 'cluster';

/** A finding as far as grouping needs it. */
export interface CausedFinding {
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  evidenceOf: CauseSpec | null;
  /** Findings of different clusters are never one cause. */
  scope?: string;
  /** What it is about (`ComputeFirewall/kf-prod-health-ingress`): it tells apart causes of one rule. */
  resources?: readonly string[];
}

export interface Cause {
  id: string;
  title: string;
  severity: Severity;
  /** The ids of its findings, most severe first. */
  findings: string[];
  /** Its evidence in a sentence: which sources saw it, how often, when. */
  summary: string;
}

/** Where a rule's evidence comes from, as `RuleInfo.source` says. */
export type EvidenceSource = 'firewall-log' | 'kubernetes-log' | 'gke-operation' | 'configuration' | 'cluster-state';

const SOURCE_TEXT: Record<EvidenceSource, string> = {
  'firewall-log': 'firewall logs',
  'kubernetes-log': 'the API server',
  'gke-operation': 'GKE operations',
  configuration: 'the configuration',
  'cluster-state': 'the live cluster',
};

const FAR_TEXT: Record<string, string> = {
  'control-plane': 'the control plane',
  cluster: "the cluster's nodes and pods",
  'health-check': "Google's health checks",
  iap: 'IAP TCP forwarding',
  'google-apis': 'the Google APIs VIP',
  'google-public': "Google's public addresses",
  metadata: 'the metadata server',
  internet: 'the internet',
  private: 'private addresses',
};

/** The keys a finding shares with the other findings of its cause; the first names the cause. */
function keysOf(finding: CausedFinding): string[] {
  const scope = finding.scope ?? '';
  const spec = finding.evidenceOf;
  if (!spec) return [`${scope}|finding|${finding.id}`];
  if (spec.kind === 'missing') return [`${scope}|missing|${spec.resource}`];
  const side = `${scope}|${spec.direction}|${spec.far}`;
  const ports = spec.ports.filter((port): port is number => typeof port === 'number').map((port) => `${side}|${spec.protocol}|${port}`);
  const byRule = spec.rule ? [`${side}|rule|${spec.rule}`] : [];
  const keys = [...byRule, ...ports];
  return keys.length > 0 ? keys : [`${scope}|finding|${finding.id}`];
}

/** Union-find over the keys: findings that share any key, directly or through others, are one cause. */
function groups(findings: readonly CausedFinding[]): CausedFinding[][] {
  const parent = findings.map((_, index) => index);
  const root = (index: number): number => {
    while (parent[index] !== index) index = parent[index] = parent[parent[index]!]!;
    return index;
  };
  const byKey = new Map<string, number>();
  findings.forEach((finding, index) => {
    for (const key of keysOf(finding)) {
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, index);
      else parent[root(index)] = root(seen);
    }
  });
  const grouped = new Map<number, CausedFinding[]>();
  findings.forEach((finding, index) => grouped.set(root(index), [...(grouped.get(root(index)) ?? []), finding]));
  return [...grouped.values()];
}

function portsText(specs: readonly BlockedFlowCause[]): string {
  const byProtocol = new Map<string, Set<number | string>>();
  for (const spec of specs) for (const port of spec.ports) byProtocol.set(spec.protocol, (byProtocol.get(spec.protocol) ?? new Set()).add(port));
  return [...byProtocol]
    .map(([protocol, ports]) => `${protocol} ${[...ports].sort((a, b) => Number(String(a).split('-')[0]) - Number(String(b).split('-')[0])).join(', ')}`)
    .join('; ');
}

function blockedFlowTitle(specs: readonly BlockedFlowCause[]): string {
  const [first] = specs;
  const rules = [...new Set(specs.map((spec) => spec.rule).filter((rule): rule is string => rule !== null))];
  const far = FAR_TEXT[first!.far] ?? first!.far;
  const by = rules.length === 0 ? 'The firewall' : rules.every((rule) => rule.startsWith('implied-')) ? 'No rule allows it: the implied deny' : `Firewall rule ${rules.filter((rule) => !rule.startsWith('implied-')).join(', ')}`;
  const direction = first!.direction.toLowerCase();
  const what = first!.far === 'cluster' ? `${direction} between the cluster's nodes and pods` : first!.direction === 'INGRESS' ? `${far} from reaching the cluster` : `the cluster from reaching ${far}`;
  return `${by} blocks ${what} on ${portsText(specs)}`;
}

function causeTitle(members: readonly CausedFinding[]): string {
  const specs = members.map((member) => member.evidenceOf).filter((spec): spec is CauseSpec => spec !== null);
  const missing = specs.find((spec): spec is MissingResourceCause => spec.kind === 'missing');
  if (missing) return missing.title;
  const flows = specs.filter((spec): spec is BlockedFlowCause => spec.kind === 'blocked-flow');
  if (flows.length > 0) return blockedFlowTitle(flows);
  const [first] = members;
  // A cause of its own is one finding: what it is about tells it from the others of its rule.
  return first!.resources?.[0] ? `${first!.title}: ${first!.resources[0]}` : first!.title;
}

const minute = (time: string): string => time.slice(0, 16).replace('T', ' ');

function evidenceText(members: readonly CausedFinding[], sourceOf: (rule: string) => EvidenceSource): string {
  const bySource = new Map<EvidenceSource, CausedFinding[]>();
  for (const member of members) bySource.set(sourceOf(member.rule), [...(bySource.get(sourceOf(member.rule)) ?? []), member]);
  const parts = [...bySource].map(([source, seen]) => {
    const rules = [...new Set(seen.map((finding) => finding.rule))].join(', ');
    const count = seen.reduce((total, finding) => total + finding.count, 0);
    const first = seen.map((finding) => finding.firstSeen).filter((time): time is string => time !== null).sort()[0];
    const last = seen.map((finding) => finding.lastSeen).filter((time): time is string => time !== null).sort().at(-1);
    const when = first && last ? (minute(first) === minute(last) ? ` at ${minute(first)}` : ` from ${minute(first)} to ${minute(last)}`) : '';
    return `${SOURCE_TEXT[source]} (${rules}: ${count}×${when})`;
  });
  return `Seen in ${parts.join('; ')}.`;
}

/**
 * Groups findings into causes. A cause's id is the hash of its first finding's naming key, so it
 * stays the same while findings of the same cause come and go.
 */
export function groupCauses(findings: readonly CausedFinding[], sourceOf: (rule: string) => EvidenceSource): { causes: Cause[]; causeOf: Map<string, string> } {
  const causeOf = new Map<string, string>();
  const causes = groups(findings).map((members) => {
    const sorted = [...members].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.count - a.count || a.id.localeCompare(b.id));
    const id = shortHash(keysOf(sorted.reduce((least, member) => (keysOf(member)[0]! < keysOf(least)[0]! ? member : least)))[0]!);
    for (const member of members) causeOf.set(member.id, id);
    return { id, title: causeTitle(sorted), severity: sorted[0]!.severity, findings: sorted.map((member) => member.id), summary: evidenceText(sorted, sourceOf) };
  });
  causes.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.findings.length - a.findings.length || a.title.localeCompare(b.title));
  return { causes, causeOf };
}
