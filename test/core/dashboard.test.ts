import { describe, expect, it } from 'vitest';
import { buildDashboard, HISTORY_HOURS } from '../../functions/src/core/dashboard/model.js';
import { renderDashboardPage } from '../../functions/src/core/dashboard/render.js';
import type { StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';
import type { RegisteredCluster } from '../../functions/src/core/pipeline/registry.js';
import type { DeploymentRecord, StageRecord } from '../../functions/src/core/deploy/records.js';

const NOW = new Date('2026-11-20T12:30:00Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();

function finding(id: string, changes: Partial<StoredFinding> = {}): StoredFinding {
  return {
    id,
    scope: 'acme-ml-prod:us-central1:kf-prod',
    project: 'acme-ml-prod',
    location: 'us-central1',
    cluster: 'kf-prod',
    rule: 'webhook-port-blocked',
    severity: 'error',
    title: 'Control plane cannot reach an admission webhook port',
    status: 'open',
    count: 3,
    firstSeen: hoursAgo(5),
    lastSeen: hoursAgo(1),
    flow: null,
    firewallRule: 'kf-prod-deny-all-ingress',
    firewallLayer: 'vpc-firewall',
    resources: [],
    explanation: 'The control plane cannot reach tcp:15017.',
    remediation: { summary: 'Allow tcp:15017 from the control plane.', gcloud: 'gcloud compute firewall-rules create kf-allow --allow=tcp:15017', manifest: null },
    evidenceOf: null,
    stateVersion: 1,
    statusChangedAt: hoursAgo(5),
    updatedAt: hoursAgo(1),
    samples: [],
    ...changes,
  };
}

const cluster: RegisteredCluster = {
  key: 'acme-ml-prod:us-central1:kf-prod',
  project: 'acme-ml-prod',
  location: 'us-central1',
  name: 'kf-prod',
  model: {} as RegisteredCluster['model'],
  registeredAt: hoursAgo(30),
  lastSweep: { at: hoursAgo(0.2), status: 'ok', openFindings: 2, unreadSources: ['compute-dns'] },
};

const deployment = { id: 'kf-prod-1', request: { name: 'kf-prod', project: 'acme-ml-prod' }, status: 'failed', failedStage: 'wait-cluster', reason: 'stuck', createdAt: hoursAgo(3), updatedAt: hoursAgo(2), startingAt: hoursAgo(3) } as DeploymentRecord;
const stage = (name: StageRecord['stage'], status: StageRecord['status'], from: number, to: number): StageRecord => ({ stage: name, status, attempt: 1, polls: 1, startedAt: hoursAgo(from), updatedAt: hoursAgo(to), finishedAt: hoursAgo(to), history: [] }) as unknown as StageRecord;

describe('the dashboard model', () => {
  const model = buildDashboard({
    now: NOW,
    findings: [
      finding('open-error'),
      finding('open-warning', { severity: 'warning', rule: 'iap-blocked', firstSeen: hoursAgo(1), count: 9 }),
      finding('resolved-an-hour-ago', { status: 'resolved', firstSeen: hoursAgo(10), statusChangedAt: hoursAgo(1) }),
    ],
    deployments: [{ deployment, stages: [stage('wait-cluster', 'failed', 2.5, 2), stage('preflight', 'succeeded', 3, 2.5)] }],
    clusters: [cluster],
  });

  it('counts open findings by severity and lists only open ones, most severe first', () => {
    expect(model.open).toEqual({ error: 1, warning: 1, info: 0 });
    expect(model.findings.map((each) => each.id)).toEqual(['open-error', 'open-warning']);
  });

  it('charts what was open at the end of each hour, counting a resolved finding until it was resolved', () => {
    expect(model.history).toHaveLength(HISTORY_HOURS);
    expect(model.history.at(-1)!.counts).toEqual({ error: 1, warning: 1, info: 0 });
    // At 11:00 the resolved one was still open and the warning not yet seen.
    const twoHoursAgo = model.history.at(-3)!;
    expect(twoHoursAgo.at).toBe('2026-11-20T11:00:00.000Z');
    expect(twoHoursAgo.counts).toEqual({ error: 2, warning: 0, info: 0 });
    expect(model.history[0]!.counts).toEqual({ error: 0, warning: 0, info: 0 });
  });

  it('puts stages in deployment order with their share of the time', () => {
    const [only] = model.deployments;
    expect(only!.stages.map((each) => each.stage)).toEqual(['preflight', 'wait-cluster']);
    expect(only!.stages.map((each) => each.share)).toEqual([0.5, 0.5]);
  });

  it('says which sources the last sweep could not read', () => {
    expect(model.clusters[0]).toMatchObject({ lastSweepStatus: 'ok', unreadSources: ['compute-dns'] });
    expect(renderDashboardPage(model, 'n0nce')).toContain('could not read compute-dns; their findings stay open');
  });
});

describe('the dashboard page', () => {
  it('escapes everything that came from logs, manifests and requests', () => {
    const hostile = '<script>alert(1)</script>';
    const page = renderDashboardPage(
      buildDashboard({
        now: NOW,
        findings: [finding('x', { title: hostile, explanation: `"><img src=x onerror=alert(1)>`, remediation: { summary: hostile, gcloud: `echo '${hostile}'`, manifest: null } })],
        deployments: [{ deployment: { ...deployment, id: `kf"<b>`, reason: hostile }, stages: [] }],
        clusters: [{ ...cluster, name: hostile }],
      }),
      'n0nce',
    );
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    // The one script on the page is the page's own, carrying the nonce.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toContain('<script nonce="n0nce">');
  });

  it('says so when there is nothing to show', () => {
    const page = renderDashboardPage(buildDashboard({ now: NOW, findings: [], deployments: [], clusters: [] }), 'n');
    expect(page).toContain('No open findings.');
    expect(page).toContain('No deployments.');
    expect(page).toContain('No registered clusters (kfguard clusters add).');
  });
});
