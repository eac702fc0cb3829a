import { describe, expect, it } from 'vitest';
import { parseWebhookFailure } from '../../functions/src/core/kubernetes/webhook-failure.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel, withRangeOverrides } from '../../functions/src/core/model/cluster.js';
import { Analyzer } from '../../functions/src/core/analyze/analyzer.js';
import {
  DEFAULT_STUCK_MINUTES,
  describeOperationCommand,
  GkeOperationSchema,
  isFailed,
  operationStateFromApi,
  parseThreshold,
} from '../../functions/src/core/gke/operation.js';
import { operationTypeFromMethod } from '../../functions/src/core/gke/audit-log.js';
import { fixtureJson, readFixture } from '../helpers/fixtures.js';

const model = { ...withRangeOverrides(emptyClusterModel(), { masterCidr: '172.16.0.32/28' }), nodeTags: ['gke-kf-test-1b2c3d4e-node'], network: 'kf-net', project: 'kf-test-project' };
const lines = (name: string): unknown[] =>
  readFixture(name)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);

describe('webhook failure messages', () => {
  it("parses the guide's cert-manager example", () => {
    const failure = parseWebhookFailure('Internal error occurred: failed calling webhook "webhook.cert-manager.io": the server is currently unable to handle the request');
    expect(failure).toMatchObject({ webhook: 'webhook.cert-manager.io', cause: 'unavailable' });
    expect(failure?.service).toBeUndefined();
  });

  it('extracts service, namespace and port from the Post URL', () => {
    const failure = parseWebhookFailure(
      'failed calling webhook "validation.webhook.serving.knative.dev": failed to call webhook: Post "https://webhook.knative-serving.svc:8443/resource-validation?timeout=10s": context deadline exceeded',
    );
    expect(failure).toMatchObject({ webhook: 'validation.webhook.serving.knative.dev', service: 'webhook', namespace: 'knative-serving', servicePort: 8443, cause: 'timeout' });
  });

  it('defaults the Service port to 443 and classifies refused connections and TLS errors', () => {
    expect(parseWebhookFailure('failed calling webhook "x.example.com": Post "https://svc.ns.svc/validate": dial tcp 10.1.0.4:9443: connect: connection refused')).toMatchObject({
      servicePort: 443,
      cause: 'connection-refused',
    });
    expect(parseWebhookFailure('failed calling webhook "x": Post "https://svc.ns.svc:443/v": x509: certificate signed by unknown authority')?.cause).toBe('tls');
    expect(parseWebhookFailure('nothing to see')).toBeUndefined();
  });

  it('diagnoses Kubernetes entries and ignores unrelated ones', () => {
    const [certManager, istio, , refused, unrelated] = lines('logs/kubernetes-webhook-failures.ndjson');
    const cm = diagnoseEntry(certManager, { model });
    expect(cm.kind === 'finding' && cm.observation).toMatchObject({ rule: 'webhook-call-failed', resources: ['webhook:webhook.cert-manager.io', 'cluster:kf-test'] });
    expect(cm.kind === 'finding' && cm.observation.detail().remediation.gcloud).toContain('--allow=tcp:10250');
    const ist = diagnoseEntry(istio, { model });
    expect(ist.kind === 'finding' && ist.observation.detail().remediation.gcloud).toContain('--allow=tcp:15017');
    expect(ist.kind === 'finding' && ist.observation.detail().remediation.gcloud).toContain('--source-ranges=172.16.0.32/28');
    const ref = diagnoseEntry(refused, { model });
    expect(ref.kind === 'finding' && ref.observation.detail().remediation.summary).toMatch(/pods and certificate/);
    expect(ref.kind === 'finding' && ref.observation.detail().remediation.gcloud).toContain('kubectl -n example-system get service example-webhook');
    expect(diagnoseEntry(unrelated, { model })).toEqual({ kind: 'ignored', reason: 'unrelated' });
  });
});

describe('GKE operations', () => {
  const now = new Date('2026-03-02T12:30:00Z');
  const analyze = (setup: (analyzer: Analyzer) => void, thresholds = DEFAULT_STUCK_MINUTES) => {
    const analyzer = new Analyzer({ model, now, thresholds });
    setup(analyzer);
    return analyzer.report();
  };

  it('finds stuck and failed operations in a gcloud operations list export', () => {
    const report = analyze((analyzer) => {
      for (const op of fixtureJson<unknown[]>('gke/operations-list.json')) analyzer.addOperation(operationStateFromApi(GkeOperationSchema.parse(op)));
    });
    expect(report.findings.map((f) => f.rule).sort()).toEqual(['operation-failed', 'operation-stuck']);
    const stuck = report.findings.find((f) => f.rule === 'operation-stuck')!;
    expect(stuck.explanation).toContain('CREATE_CLUSTER operation-1772445600000-5d6e7f80 (cluster kf-test, us-central1) has been RUNNING for 2h 30m, past the 45m threshold');
    expect(stuck.explanation).toContain('CREATE_CLUSTER_NODES');
    expect(stuck.remediation.gcloud).toBe('gcloud --project=123456789012 container operations describe --region=us-central1 operation-1772445600000-5d6e7f80');
    expect(stuck.count).toBe(1);
    const failed = report.findings.find((f) => f.rule === 'operation-failed')!;
    expect(failed.remediation.gcloud).toBe('gcloud --project=kf-test-project container operations describe --zone=us-central1-a operation-1772441000000-99ee00ff');
    expect(failed.explanation).toContain('master upgrade failed health check');
  });

  it('failed means DONE with an error: not ABORTING, not a DONE operation that only has a status message', () => {
    const base = { operationType: 'UPGRADE_NODES', selfLink: 'https://container.googleapis.com/v1/projects/p/locations/us-central1/operations/op', startTime: '2026-03-02T12:20:00Z' };
    const state = (fields: Record<string, unknown>) => operationStateFromApi(GkeOperationSchema.parse({ ...base, ...fields }));
    expect(isFailed(state({ name: 'done-with-message', status: 'DONE', statusMessage: 'Upgrading nodes to 1.31.5-gke.1169000' }))).toBe(false);
    expect(isFailed(state({ name: 'aborting', status: 'ABORTING', error: { code: 1, message: 'cancelled' } }))).toBe(false);
    expect(isFailed(state({ name: 'done-with-error', status: 'DONE', error: { code: 8, message: 'GCE quota exceeded' } }))).toBe(true);
    const report = analyze((analyzer) => analyzer.addOperation(state({ name: 'done-with-message', status: 'DONE', statusMessage: 'Upgrading nodes' })));
    expect(report.findings).toEqual([]);
  });

  it('respects per-type thresholds', () => {
    const report = analyze(
      (analyzer) => {
        for (const op of fixtureJson<unknown[]>('gke/operations-list.json')) analyzer.addOperation(operationStateFromApi(GkeOperationSchema.parse(op)));
      },
      { ...DEFAULT_STUCK_MINUTES, CREATE_CLUSTER: 200 },
    );
    expect(report.findings.map((f) => f.rule)).toEqual(['operation-failed']);
  });

  it('follows long-running operations through audit log first/last entries', () => {
    const report = analyze((analyzer) => lines('logs/gke-audit-operations.ndjson').forEach((entry, i) => analyzer.addEntry(entry, `audit:${i + 1}`)));
    const byRule = Object.fromEntries(report.findings.map((f) => [f.rule, f]));
    expect(byRule['operation-stuck']?.resources).toEqual(['operation:operation-1772445600000-5d6e7f80', 'cluster:kf-test']);
    expect(byRule['operation-failed']?.explanation).toContain('NVIDIA_T4_GPUS');
    expect(byRule['operation-failed']?.remediation.gcloud).toContain('--zone=us-central1-a operation-1772449200000-11aa22bb');
    expect(report.findings).toHaveLength(2);
    expect(report.stats).toEqual({ entries: 5, denied: 0, ignored: 0, rejected: 0 });
  });

  it('maps audit method names to operation types', () => {
    expect(operationTypeFromMethod('CreateCluster')).toBe('CREATE_CLUSTER');
    expect(operationTypeFromMethod('CreateNodePool')).toBe('CREATE_NODE_POOL');
    expect(operationTypeFromMethod('UpdateMaster')).toBe('UPGRADE_MASTER');
  });

  it('parses threshold overrides and rejects nonsense', () => {
    expect(parseThreshold('create_cluster=30')).toEqual(['CREATE_CLUSTER', 30]);
    expect(parseThreshold('default=90')).toEqual(['default', 90]);
    expect(() => parseThreshold('CREATE_CLUSTER')).toThrow(/TYPE=MINUTES/);
    expect(() => parseThreshold('CREATE_CLUSTER=-4')).toThrow();
  });

  it('quotes nothing it does not need to and everything it does', () => {
    expect(describeOperationCommand({ name: 'op-1', type: 'X', status: 'RUNNING', conditions: [] })).toBe('gcloud --project=PROJECT container operations describe op-1');
    expect(describeOperationCommand({ name: "op'; rm -rf /", type: 'X', status: 'RUNNING', conditions: [], project: 'p' })).toBe(
      `gcloud --project=p container operations describe 'op'\\''; rm -rf /'`,
    );
  });
});
