import type { Severity } from '../findings/finding.js';
import { orderedStages, stageSeconds, type DeploymentRecord, type StageRecord } from '../deploy/records.js';
import { bySeverityThenCount, findingLocation, type StoredFinding } from '../pipeline/finding-record.js';
import { formatDuration } from '../report/text.js';
import type { RegisteredCluster } from '../pipeline/registry.js';

/** The chart's span: one bar per hour over the last day. */
export const HISTORY_HOURS = 24;
const HOUR_MS = 3_600_000;

export type SeverityCounts = Record<Severity, number>;

export interface DashboardFinding {
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  where: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  explanation: string;
  fix: string;
  /** What to paste: the gcloud commands, else the Config Connector manifest. */
  copyable: string | null;
}

export interface DashboardStage {
  stage: string;
  status: string;
  attempt: number;
  startedAt: string;
  duration: string;
  /** Share of the deployment's elapsed time this stage took, for the timeline bar (0..1). */
  share: number;
  reason: string;
}

export interface DashboardDeployment {
  id: string;
  name: string;
  project: string;
  status: string;
  failedStage: string | null;
  reason: string | null;
  createdAt: string;
  stages: DashboardStage[];
}

export interface DashboardCluster {
  key: string;
  name: string;
  project: string;
  location: string;
  lastSweepAt: string | null;
  lastSweepStatus: string;
  openFindings: number | null;
  error: string | null;
  /** What the last sweep could not read: its findings stay open until it can. */
  unreadSources: string[];
}

export interface DashboardModel {
  generatedAt: string;
  open: SeverityCounts;
  /** Findings open at the end of each hour, oldest first. */
  history: { at: string; counts: SeverityCounts }[];
  findings: DashboardFinding[];
  deployments: DashboardDeployment[];
  clusters: DashboardCluster[];
}

export interface DashboardInput {
  now: Date;
  /** Open findings, and any whose status changed within the chart's span. */
  findings: readonly StoredFinding[];
  deployments: readonly { deployment: DeploymentRecord; stages: readonly StageRecord[] }[];
  clusters: readonly RegisteredCluster[];
}

function severityCounts(findings: readonly StoredFinding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/**
 * Open at time t: first seen by then, and not yet resolved or muted. A finding resolved and later
 * reopened counts as open in between; the state history would say otherwise, at a read per change.
 */
function openAt(finding: StoredFinding, t: number): boolean {
  const opened = Date.parse(finding.firstSeen ?? finding.statusChangedAt);
  if (Number.isNaN(opened) || opened > t) return false;
  return finding.status === 'open' || Date.parse(finding.statusChangedAt) > t;
}

function history(findings: readonly StoredFinding[], now: Date): DashboardModel['history'] {
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS;
  return Array.from({ length: HISTORY_HOURS }, (_, i) => {
    const at = Math.min(end - (HISTORY_HOURS - 1 - i) * HOUR_MS, now.getTime());
    return { at: new Date(at).toISOString(), counts: severityCounts(findings.filter((finding) => openAt(finding, at))) };
  });
}

function dashboardFinding(finding: StoredFinding): DashboardFinding {
  return {
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    where: findingLocation(finding),
    count: finding.count,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    explanation: finding.explanation,
    fix: finding.remediation.summary,
    copyable: finding.remediation.gcloud ?? finding.remediation.manifest,
  };
}

function dashboardDeployment(deployment: DeploymentRecord, stages: readonly StageRecord[], now: Date): DashboardDeployment {
  const ordered = orderedStages(stages);
  const seconds = ordered.map((stage) => stageSeconds(stage, now));
  const total = Math.max(1, seconds.reduce((sum, each) => sum + each, 0));
  const request = deployment.request as { name?: unknown; project?: unknown };
  return {
    id: deployment.id,
    name: String(request.name ?? ''),
    project: String(request.project ?? ''),
    status: deployment.status,
    failedStage: deployment.failedStage ?? null,
    reason: deployment.reason ?? null,
    createdAt: deployment.createdAt,
    stages: ordered.map((stage, i) => ({
      stage: stage.stage,
      status: stage.status,
      attempt: stage.attempt,
      startedAt: stage.startedAt,
      duration: formatDuration(seconds[i]!),
      share: seconds[i]! / total,
      reason: stage.reason ?? '',
    })),
  };
}

function dashboardCluster(cluster: RegisteredCluster): DashboardCluster {
  return {
    key: cluster.key,
    name: cluster.name,
    project: cluster.project,
    location: cluster.location,
    lastSweepAt: cluster.lastSweep?.at ?? null,
    lastSweepStatus: cluster.lastSweep?.status ?? 'never swept',
    openFindings: cluster.lastSweep?.openFindings ?? null,
    error: cluster.lastSweep?.error ?? null,
    unreadSources: [...(cluster.lastSweep?.unreadSources ?? [])],
  };
}

export function buildDashboard(input: DashboardInput): DashboardModel {
  const open = input.findings.filter((finding) => finding.status === 'open');
  return {
    generatedAt: input.now.toISOString(),
    open: severityCounts(open),
    history: history(input.findings, input.now),
    findings: [...open].sort(bySeverityThenCount).map(dashboardFinding),
    deployments: [...input.deployments].sort((a, b) => b.deployment.createdAt.localeCompare(a.deployment.createdAt)).map(({ deployment, stages }) => dashboardDeployment(deployment, stages, input.now)),
    clusters: [...input.clusters].sort((a, b) => a.key.localeCompare(b.key)).map(dashboardCluster),
  };
}
