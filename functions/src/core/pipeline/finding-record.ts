import { earlier, later, MAX_RESOURCES, mergeResources, severityRank, type Finding, type Observation } from '../findings/finding.js';
import { formatClusterId } from '../model/cluster-id.js';
import { notificationIdFor, type FindingSummary, type NotificationKind, type NotificationRequest } from './notification.js';

export type FindingStatus = 'open' | 'resolved' | 'muted';

/** Which cluster a finding belongs to (`scope` is the registry key, or a per-project bucket). */
export interface FindingScope {
  scope: string;
  project?: string;
  location?: string;
  cluster?: string;
}

export interface FindingSample {
  time: string | null;
  /** The event that carried it: a LogEntry insertId, a sweep, an operation. */
  source: string;
  /** The entry, as JSON text cut to a few KB; secrets are redacted before storing. */
  entry?: string;
}

/** A document of the `findings` collection. Its id is the stable fingerprint of scope and cause. */
export interface StoredFinding extends Finding, FindingScope {
  id: string;
  status: FindingStatus;
  /** Bumped at every status change; notifications are keyed by it so each change notifies once. */
  stateVersion: number;
  statusChangedAt: string;
  updatedAt: string;
  samples: FindingSample[];
}

export const MAX_SAMPLES = 5;

/** Where a finding lives: its cluster's id (PROJECT:LOCATION:NAME), or the project for an entry of no registered cluster. */
export function findingLocation(finding: Pick<StoredFinding, 'cluster' | 'project' | 'location' | 'scope'>): string {
  return finding.cluster && finding.project && finding.location ? formatClusterId({ project: finding.project, location: finding.location, name: finding.cluster }) : (finding.project ?? finding.scope);
}

export const FINDING_STATUSES: readonly FindingStatus[] = ['open', 'resolved', 'muted'];

/** Stored findings in `analyze`'s JSON shape (plus id, status, cluster), most severe first, with counts per status. */
export function storedFindingsDocument(stored: readonly StoredFinding[]): { findings: (Finding & { status: FindingStatus; cluster: string; scope: string })[]; stats: Record<string, number> } {
  const stats = Object.fromEntries(FINDING_STATUSES.map((status) => [status, stored.filter((finding) => finding.status === status).length]));
  const findings = [...stored].sort(bySeverityThenCount).map((finding) => ({
    id: finding.id,
    status: finding.status,
    cluster: findingLocation(finding),
    // Causes are grouped within a scope; reports drop it.
    scope: finding.scope,
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    count: finding.count,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    flow: finding.flow,
    firewallRule: finding.firewallRule,
    // Findings stored before layers were recorded know only VPC rules.
    firewallLayer: finding.firewallLayer ?? (finding.firewallRule ? 'vpc-firewall' : null),
    resources: finding.resources,
    explanation: finding.explanation,
    remediation: finding.remediation,
    // Findings stored before causes were recorded are each their own cause.
    evidenceOf: finding.evidenceOf ?? null,
  }));
  return { findings, stats };
}

/** Most severe first, then most frequent: the order people read findings in. */
export function bySeverityThenCount(a: StoredFinding, b: StoredFinding): number {
  return severityRank(b.severity) - severityRank(a.severity) || b.count - a.count || a.id.localeCompare(b.id);
}

export type FindingWrite =
  | { kind: 'create'; finding: StoredFinding; notification: NotificationRequest }
  | { kind: 'update'; set: Partial<StoredFinding>; increment: number; notification?: NotificationRequest };

export function findingSummary(finding: StoredFinding): FindingSummary {
  return {
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    status: finding.status,
    count: finding.count,
    cluster: findingLocation(finding),
    explanation: finding.explanation.slice(0, 4000),
    fix: finding.remediation.summary.slice(0, 2000),
    command: finding.remediation.gcloud?.slice(0, 4000) ?? null,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
  };
}

export function findingNotification(finding: StoredFinding, kind: NotificationKind, now: Date): NotificationRequest {
  return { id: notificationIdFor(finding.id, finding.stateVersion), kind, createdAt: now.toISOString(), finding: findingSummary(finding) };
}

function withSample(samples: readonly FindingSample[], sample: FindingSample | undefined): FindingSample[] {
  return sample ? [...samples, sample].slice(-MAX_SAMPLES) : [...samples];
}

/**
 * Decides how one observation changes the stored finding: create it (and notify), or count it,
 * widen its time range and resources, and reopen it (notify) if it was resolved or raise its
 * severity (notify). Pure: the store applies the plan in one atomic commit.
 */
export function planFindingWrite(existing: StoredFinding | undefined, id: string, observation: Observation, scope: FindingScope, sample: FindingSample | undefined, now: Date, weight = 1): FindingWrite {
  const at = now.toISOString();
  const time = observation.time ?? at;
  if (!existing) {
    const finding: StoredFinding = {
      ...scope,
      id,
      rule: observation.rule,
      severity: observation.severity,
      title: observation.title,
      count: weight,
      firstSeen: time,
      lastSeen: observation.until ?? time,
      flow: observation.flow,
      firewallRule: observation.firewallRule,
      firewallLayer: observation.firewallLayer,
      resources: mergeResources([], observation.resources),
      ...observation.detail(),
      evidenceOf: observation.cause ?? null,
      status: 'open',
      stateVersion: 1,
      statusChangedAt: at,
      updatedAt: at,
      samples: withSample([], sample),
    };
    return { kind: 'create', finding, notification: findingNotification(finding, 'finding-opened', now) };
  }
  const set: Partial<StoredFinding> = {
    lastSeen: later(existing.lastSeen, observation.until ?? time),
    firstSeen: earlier(existing.firstSeen, time),
    resources: mergeResources([...existing.resources], observation.resources, MAX_RESOURCES),
    samples: withSample(existing.samples ?? [], sample),
    updatedAt: at,
  };
  const reopened = existing.status === 'resolved';
  const raised = severityRank(observation.severity) > severityRank(existing.severity);
  if (!reopened && !raised) return { kind: 'update', set, increment: weight };
  const changed: StoredFinding = {
    ...existing,
    ...set,
    count: existing.count + weight,
    status: reopened ? 'open' : existing.status,
    severity: raised ? observation.severity : existing.severity,
    stateVersion: existing.stateVersion + 1,
    statusChangedAt: at,
  };
  Object.assign(set, { status: changed.status, severity: changed.severity, stateVersion: changed.stateVersion, statusChangedAt: at });
  // A muted finding changes quietly: muting is the operator saying "don't tell me".
  if (existing.status === 'muted') return { kind: 'update', set, increment: weight };
  return { kind: 'update', set, increment: weight, notification: findingNotification(changed, reopened ? 'finding-reopened' : 'severity-raised', now) };
}

/** A finding not seen again for the configured time is resolved, and that is a state change too. */
export function planResolve(finding: StoredFinding, now: Date): { set: Partial<StoredFinding>; notification: NotificationRequest } {
  const at = now.toISOString();
  const resolved: StoredFinding = { ...finding, status: 'resolved', stateVersion: finding.stateVersion + 1, statusChangedAt: at, updatedAt: at };
  return {
    set: { status: 'resolved', stateVersion: resolved.stateVersion, statusChangedAt: at, updatedAt: at },
    notification: findingNotification(resolved, 'finding-resolved', now),
  };
}

/**
 * Staleness counts from when kfguard last observed the cause (`updatedAt`), not from the entry's
 * own time: a replayed backlog of old entries must not resolve the moment it is recorded.
 */
export function isStale(finding: StoredFinding, now: Date, resolveAfterMinutes: number): boolean {
  const last = Date.parse(finding.updatedAt);
  return finding.status === 'open' && !Number.isNaN(last) && now.getTime() - last >= resolveAfterMinutes * 60_000;
}
