import { groupCauses, type Cause } from '../findings/causes.js';
import { SEVERITIES, type Severity } from '../findings/finding.js';
import type { FirewallStack } from '../firewall/stack.js';
import { formatClusterId } from '../model/cluster-id.js';
import { orderedStages, stageSeconds, type DeploymentRecord, type StageRecord } from '../deploy/records.js';
import { bySeverityThenCount, FINDING_STATUSES, findingLocation, storedFindingsDocument, type FindingStatus, type StoredFinding } from '../pipeline/finding-record.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import { flowText, sourceOf } from '../report/findings-report.js';
import { formatDuration } from '../report/text.js';
import type { RegisteredCluster } from '../pipeline/registry.js';

/** The chart's span: one bar per hour over the last day. */
export const HISTORY_HOURS = 24;
const HOUR_MS = 3_600_000;

export type SeverityCounts = Record<Severity, number>;

export type StatusFilter = FindingStatus | 'any';
export const STATUS_FILTERS: readonly StatusFilter[] = [...FINDING_STATUSES, 'any'];

/** What the page narrows to; null is every value. */
export interface DashboardFilter {
  severity: Severity | null;
  /** As findings show where they live: the cluster id (PROJECT:LOCATION:NAME), or the project of no registered cluster. */
  cluster: string | null;
  rule: string | null;
  status: StatusFilter;
}

export type FilterName = keyof DashboardFilter;

/** The filter an address asks for, and which of its values were not ones the page knows (those filters are dropped). */
export interface RequestedFilter {
  filter: DashboardFilter;
  ignored: FilterName[];
}

export const NO_FILTER: RequestedFilter = { filter: { severity: null, cluster: null, rule: null, status: 'open' }, ignored: [] };

/** Longer than any cluster id or rule id: such a value is not one, and is not carried further. */
const MAX_FILTER_VALUE = 300;

/**
 * Reads `?severity=error&cluster=P:L:N&rule=R&status=open`. An empty value is no filter (what a
 * form's "any" sends); severity and status must be one of theirs. Cluster and rule are checked
 * against the data later, in buildDashboard.
 */
export function parseFilter(query: { get(name: string): string | null }): RequestedFilter {
  const ignored: FilterName[] = [];
  const value = (name: FilterName): string | null => {
    const text = query.get(name);
    if (!text) return null;
    if (text.length <= MAX_FILTER_VALUE) return text;
    ignored.push(name);
    return null;
  };
  const severityText = value('severity');
  const severity = severityText === null ? null : (SEVERITIES.find((each) => each === severityText) ?? null);
  if (severityText !== null && severity === null) ignored.push('severity');
  const statusText = value('status');
  const status = statusText === null ? 'open' : STATUS_FILTERS.find((each) => each === statusText);
  if (status === undefined) ignored.push('status');
  return { filter: { severity, cluster: value('cluster'), rule: value('rule'), status: status ?? 'open' }, ignored };
}

export interface DashboardFinding {
  id: string;
  /** Its cause's id (see `causes`). */
  cause: string;
  status: FindingStatus;
  statusChangedAt: string;
  rule: string;
  severity: Severity;
  title: string;
  where: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  explanation: string;
  evidence: {
    flow: string | null;
    firewallRule: string | null;
    firewallLayer: string | null;
    resources: string[];
    /** The stored samples, oldest first: when, and the event that carried each. */
    samples: { time: string | null; source: string }[];
    /** The newest sample's log entry, as stored (redacted, cut to a few KB). */
    entry: string | null;
  };
  fix: { summary: string; gcloud: string | null; manifest: string | null; terraform: string | null };
}

export interface DashboardCause extends Cause {
  where: string;
  /** Its findings the filters keep, in `findings` order; the others are hidden. */
  shown: string[];
}

/** A cluster's plan, built from its open findings whatever the filters say. */
export interface DashboardPlan {
  scope: string;
  where: string;
  plan: Plan;
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
  /** The Cloud Build log the stage's result names, if it names one. */
  logUrl: string | null;
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
  /** Open findings by severity, whatever the filters. */
  open: SeverityCounts;
  /** Findings open at the end of each hour, oldest first. */
  history: { at: string; counts: SeverityCounts }[];
  /** The filter in effect: what the address asked for, less what `notes` says was dropped. */
  filter: DashboardFilter;
  /** The values the cluster and rule filters offer. */
  options: { clusters: string[]; rules: string[] };
  notes: string[];
  /** Causes of the findings in the status filtered for, most severe first; those with no finding the other filters keep are left out. */
  causes: DashboardCause[];
  /** The findings the filters keep, most severe first. */
  findings: DashboardFinding[];
  plans: DashboardPlan[];
  deployments: DashboardDeployment[];
  clusters: DashboardCluster[];
}

export interface DashboardInput {
  now: Date;
  /** Open findings, any whose status changed within the chart's span, and the resolved or muted ones the status filter asks for. */
  findings: readonly StoredFinding[];
  deployments: readonly { deployment: DeploymentRecord; stages: readonly StageRecord[] }[];
  clusters: readonly RegisteredCluster[];
  filter?: RequestedFilter;
  /** At most how many resolved, and how many muted, findings were read: at that many the page says there may be more. */
  closedLimit?: number;
  /** A cluster's firewall stack by scope, where known: its plan's new rules then take no priority a rule of it holds. */
  stackOf?: (scope: string) => FirewallStack | undefined;
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

function dashboardFinding(finding: StoredFinding, cause: string): DashboardFinding {
  const samples = finding.samples ?? [];
  return {
    id: finding.id,
    cause,
    status: finding.status,
    statusChangedAt: finding.statusChangedAt,
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    where: findingLocation(finding),
    count: finding.count,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    explanation: finding.explanation,
    evidence: {
      flow: flowText(finding.flow) || null,
      firewallRule: finding.firewallRule,
      firewallLayer: finding.firewallLayer ?? null,
      resources: [...finding.resources],
      samples: samples.map(({ time, source }) => ({ time, source })),
      entry: samples.at(-1)?.entry ?? null,
    },
    fix: { summary: finding.remediation.summary, gcloud: finding.remediation.gcloud, manifest: finding.remediation.manifest, terraform: finding.remediation.terraform ?? null },
  };
}

/** Cloud Build's console page for a build, as stage results name it: the only address the page turns into a link. */
export const CLOUD_BUILD_LOG_URL = /https:\/\/console\.cloud\.google\.com\/cloud-build\/builds[^\s()<>"'`]*/g;

function cloudBuildLogUrl(text: string): string | null {
  return text.match(CLOUD_BUILD_LOG_URL)?.[0] ?? null;
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
      logUrl: cloudBuildLogUrl(stage.reason ?? ''),
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

const PLAN_NOT_PROVED =
  'Not verified: the dashboard builds this plan from the stored findings and does not judge the cluster again with it applied. `kfguard plan --cluster-id` (the same findings, against the live network) proves it.';

/** One plan per scope with an open error, from that scope's open findings (causes never span scopes). */
function plans(open: readonly StoredFinding[], stackOf: DashboardInput['stackOf']): DashboardPlan[] {
  const byScope = new Map<string, StoredFinding[]>();
  for (const finding of open) byScope.set(finding.scope, [...(byScope.get(finding.scope) ?? []), finding]);
  return [...byScope]
    .filter(([, findings]) => findings.some((finding) => finding.severity === 'error'))
    .map(([scope, findings]) => {
      const reported = storedFindingsDocument(findings).findings;
      const { causeOf } = groupCauses(reported, sourceOf);
      const stack = stackOf?.(scope);
      const plan = buildPlan({ findings: reported.map((finding) => ({ ...finding, cause: causeOf.get(finding.id)! })), sourceOf, ...(stack ? { stack } : {}) });
      return { scope, where: findingLocation(findings[0]!), plan: { ...plan, notes: [...plan.notes, PLAN_NOT_PROVED] } };
    })
    .sort((a, b) => a.where.localeCompare(b.where));
}

const IGNORED_TEXT: Record<FilterName, string> = {
  severity: 'The address asks for a severity other than error, warning or info: showing every severity.',
  cluster: 'The address names a cluster no finding or registered cluster here has: showing every cluster.',
  rule: 'The address names a rule no finding here has: showing every rule.',
  status: 'The address asks for a status other than open, resolved, muted or any: showing open findings.',
};

const sortedUnique = (values: readonly string[]): string[] => [...new Set(values)].sort();

export function buildDashboard(input: DashboardInput): DashboardModel {
  const requested = input.filter ?? NO_FILTER;
  const open = input.findings.filter((finding) => finding.status === 'open');
  const options = {
    clusters: sortedUnique([...input.findings.map(findingLocation), ...input.clusters.map(formatClusterId)]),
    rules: sortedUnique(input.findings.map((finding) => finding.rule)),
  };
  const ignored = new Set(requested.ignored);
  const filter = { ...requested.filter };
  if (filter.cluster !== null && !options.clusters.includes(filter.cluster)) ignored.add('cluster');
  if (filter.rule !== null && !options.rules.includes(filter.rule)) ignored.add('rule');
  if (ignored.has('cluster')) filter.cluster = null;
  if (ignored.has('rule')) filter.rule = null;
  const notes = (Object.keys(IGNORED_TEXT) as FilterName[]).filter((name) => ignored.has(name)).map((name) => IGNORED_TEXT[name]);

  // Causes are grouped over the whole status, so narrowing by rule or cluster keeps their ids and titles.
  const inStatus = input.findings.filter((finding) => filter.status === 'any' || finding.status === filter.status);
  const { causes, causeOf } = groupCauses(
    inStatus.map((finding) => ({ ...finding, evidenceOf: finding.evidenceOf ?? null })),
    sourceOf,
  );
  const kept = inStatus.filter((finding) => (filter.severity === null || finding.severity === filter.severity) && (filter.cluster === null || findingLocation(finding) === filter.cluster) && (filter.rule === null || finding.rule === filter.rule));
  const keptIds = new Set(kept.map((finding) => finding.id));
  const byId = new Map(inStatus.map((finding) => [finding.id, finding]));
  const limit = input.closedLimit;
  for (const status of ['resolved', 'muted'] as const) {
    const read = input.findings.filter((finding) => finding.status === status).length;
    if (limit !== undefined && (filter.status === status || filter.status === 'any') && read >= limit) notes.push(`The ${status} findings shown are the most recent: the page reads ${limit}, and \`kfguard findings --status ${status}\` lists them all.`);
  }
  return {
    generatedAt: input.now.toISOString(),
    open: severityCounts(open),
    history: history(input.findings, input.now),
    filter,
    options,
    notes,
    causes: causes
      .map((cause) => ({ ...cause, where: findingLocation(byId.get(cause.findings[0]!)!), shown: cause.findings.filter((id) => keptIds.has(id)) }))
      .filter((cause) => cause.shown.length > 0),
    findings: [...kept].sort(bySeverityThenCount).map((finding) => dashboardFinding(finding, causeOf.get(finding.id)!)),
    plans: plans(open, input.stackOf).filter((plan) => filter.cluster === null || plan.where === filter.cluster),
    deployments: [...input.deployments].sort((a, b) => b.deployment.createdAt.localeCompare(a.deployment.createdAt)).map(({ deployment, stages }) => dashboardDeployment(deployment, stages, input.now)),
    clusters: [...input.clusters].sort((a, b) => a.key.localeCompare(b.key)).map(dashboardCluster),
  };
}
