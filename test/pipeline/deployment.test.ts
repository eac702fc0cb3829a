import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { deploymentRequest, deployScenario, type DeployScenarioChanges } from '../helpers/scenarios.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import { STAGES } from '../../functions/src/core/deploy/stages.js';
import { resetRuntimeConfig } from '../../functions/src/adapters/config.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['deployTrigger', 'stageRunner', 'notifier'], workflowTimeScale: 0.001 });
}, 60_000);
afterAll(async () => t?.stop());

beforeEach(async () => {
  for (const collection of ['deployments', 'findings', 'events', 'notifications', 'clusters', 'operations']) {
    for (const doc of (await t.db.collection(collection).get()).docs) {
      for (const sub of ['stages', 'builds', 'starts']) for (const child of (await doc.ref.collection(sub).get()).docs) await child.ref.delete();
      await doc.ref.delete();
    }
  }
  t.stack.chat.messages.splice(0);
  t.stack.smtp.messages.splice(0);
  delete process.env['KFGUARD_STAGE_SETTINGS'];
  resetRuntimeConfig();
});

async function deploy(id: string, scenario: DeployScenarioChanges = {}, changes: Record<string, unknown> = {}, copies = 1): Promise<void> {
  await t.stack.loadScenario(deployScenario(scenario));
  const topic = t.pubsub.topic(TOPICS.deployRequests);
  for (let i = 0; i < copies; i++) await topic.publishMessage({ json: deploymentRequest(id, changes) });
}

/** Waits (bounded) until the deployment reaches a final status. */
async function finished(id: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const data = (await t.db.collection('deployments').doc(id).get()).data();
    if (data && (data['status'] === 'succeeded' || data['status'] === 'failed')) {
      await t.settle(30_000);
      return data;
    }
    if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish: ${JSON.stringify(data)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stages(id: string): Promise<Record<string, any>[]> {
  const docs = (await t.db.collection('deployments').doc(id).collection('stages').get()).docs.map((doc) => doc.data());
  return docs.sort((a, b) => STAGES.indexOf(a['stage']) - STAGES.indexOf(b['stage']));
}

const buildsOf = (id: string) => t.stack.cloudBuild.builds().filter((build) => (build['tags'] as string[]).includes(`deployment-${id}`));
const stageOf = (build: Record<string, unknown>) => (build['tags'] as string[]).find((tag) => tag.startsWith('stage-'))!.slice(6);

describe('the deployment workflow end to end (local Workflows runner, fake GKE, Kubernetes and Cloud Build)', () => {
  it('happy path: every stage in order, one build per build stage, the #32 CRD patch, the cluster registered', async () => {
    await deploy('kf-happy');
    const deployment = await finished('kf-happy');
    expect(deployment).toMatchObject({ status: 'succeeded', stage: 'verify', executionName: expect.stringContaining('/workflows/kfguard-deploy-kubeflow/executions/') });
    const records = await stages('kf-happy');
    expect(records.map((record) => [record['stage'], record['status'], record['attempt']])).toEqual(STAGES.map((stage) => [stage, 'succeeded', 1]));
    // Each stage got what the earlier ones handed on: every stage after fetch needs one of these.
    expect(records.find((record) => record['stage'] === 'configure')!['result']['outputs']).toEqual({ package: 'gs://kfguard-local-artifacts/deployments/kf-happy/package', manifests: 'gs://kfguard-local-artifacts/deployments/kf-happy/package/.build/' });
    expect(records.find((record) => record['stage'] === 'apply')!['result']['outputs']).toEqual({ cluster: 'projects/kf-test-project/locations/us-central1/clusters/kf-test' });
    expect(buildsOf('kf-happy').map(stageOf).sort()).toEqual(['apply', 'configure', 'endpoint', 'fetch', 'mirror']);
    const patch = t.stack.kubernetes.requests.find((request) => request.method === 'PATCH' && request.path.includes('customresourcedefinitions'));
    expect(patch?.contentType).toBe('application/json-patch+json');
    expect(records[0]!['reason']).toContain('added ipAllocationPolicy.useIpAliases');
    expect((await t.db.collection('clusters').doc('kf-test-project:us-central1:kf-test').get()).exists).toBe(true);
    const [execution] = t.stack.workflows.executions();
    expect(execution).toMatchObject({ state: 'SUCCEEDED', result: { deploymentId: 'kf-happy', status: 'succeeded' } });
    expect(t.stack.chat.messages).toEqual([]);
  }, 90_000);

  it('a duplicate trigger never starts a second execution', async () => {
    await deploy('kf-dup', {}, {}, 3);
    await finished('kf-dup');
    expect(t.stack.workflows.executions().filter((execution) => (execution.argument as any).deploymentId === 'kf-dup')).toHaveLength(1);
    expect(buildsOf('kf-dup').map(stageOf).sort()).toEqual(['apply', 'configure', 'endpoint', 'fetch', 'mirror']);
  }, 90_000);

  it('a stuck cluster fails wait-cluster with operation-stuck and the describe command, and notifies', async () => {
    await deploy('kf-stuck', {
      cluster: { status: 'PROVISIONING' },
      operations: [
        {
          name: 'operation-1772445600000-5d6e7f80',
          operationType: 'CREATE_CLUSTER',
          status: 'RUNNING',
          selfLink: 'https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1/operations/operation-1772445600000-5d6e7f80',
          targetLink: 'https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1/clusters/kf-test',
          location: 'us-central1',
          startTime: new Date(Date.now() - 2 * 3_600_000).toISOString(),
        },
      ],
    });
    const deployment = await finished('kf-stuck');
    expect(deployment).toMatchObject({ status: 'failed', failedStage: 'wait-cluster' });
    expect(deployment['reason']).toMatch(/CREATE_CLUSTER operation-1772445600000-5d6e7f80 .* has been RUNNING for 2h, past the 45m threshold/);
    const [waitCluster] = (await stages('kf-stuck')).filter((record) => record['stage'] === 'wait-cluster');
    expect(waitCluster!['result']['findings'][0]).toMatchObject({ rule: 'operation-stuck', command: 'gcloud --project=kf-test-project container operations describe --region=us-central1 operation-1772445600000-5d6e7f80' });
    expect((await t.findings()).map((finding) => finding.rule)).toContain('operation-stuck');
    const failure = t.stack.chat.messages.find((message) => (message.body as any).cardsV2[0].card.header.title === 'kfguard: Deployment failed');
    expect(JSON.stringify(failure?.body)).toContain('wait-cluster');
    expect(t.stack.smtp.messages.some((email) => email.to.includes('ml-platform@acme.example') && email.subject.includes('Deployment failed: kf-stuck at wait-cluster'))).toBe(true);
  }, 90_000);

  it('a Config Connector resource that stays not Ready fails wait-cluster with cnrm-resource-not-ready and its condition', async () => {
    await deploy('kf-cnrm', { brokenConfigConnector: true });
    const deployment = await finished('kf-cnrm');
    expect(deployment).toMatchObject({ status: 'failed', failedStage: 'wait-cluster' });
    expect(deployment['reason']).toMatch(/^2 Config Connector resources not Ready after \d+ minutes: ComputeFirewall\/kf-test-health-ingress \(DependencyNotFound\), ComputeRouterNAT\/kf-test \(UpdateFailed\)$/);
    const [waitCluster] = (await stages('kf-cnrm')).filter((record) => record['stage'] === 'wait-cluster');
    expect(waitCluster!['result']['findings'].map((finding: any) => finding.rule)).toEqual(['cnrm-resource-not-ready', 'cnrm-resource-not-ready']);
    expect(JSON.stringify(waitCluster!['result']['findings'])).toContain('reference ComputeNetwork kf-test-project/kf-default is not found');
    expect(buildsOf('kf-cnrm').map(stageOf)).not.toContain('endpoint');
  }, 90_000);

  it('the gate stops a deployment whose manifests block a webhook port, before anything is applied', async () => {
    const firewall = readFileSync('test/fixtures/check/blueprint/firewall.yaml', 'utf8').replace(/---\napiVersion: compute.cnrm.cloud.google.com\/v1beta1\nkind: ComputeFirewall\nmetadata:\n {2}name: kf-test-knative-katib[\s\S]*$/, '');
    await deploy('kf-gate', {
      hydrated: ['network.yaml', 'dns.yaml', 'nat.yaml', 'cluster.yaml'],
      extraHydrated: [
        { name: 'firewall.yaml', content: firewall },
        { name: 'kubeflow-apps.yaml', content: readFileSync('functions/samples/kubeflow-webhooks.yaml', 'utf8') },
      ],
    });
    const deployment = await finished('kf-gate');
    expect(deployment).toMatchObject({ status: 'failed', failedStage: 'gate' });
    expect(deployment['reason']).toContain('webhook-port-not-allowed');
    expect(buildsOf('kf-gate').map(stageOf).sort()).toEqual(['configure', 'fetch']);
    const notification = (await t.db.collection('notifications').doc('kf-gate-failed').get()).data();
    expect(notification?.['request']['deployment']['findings'].map((finding: any) => finding.rule)).toEqual(expect.arrayContaining(['webhook-port-not-allowed']));
  }, 90_000);

  it('a stage that never reports times out, and the deployment fails with that reason', async () => {
    process.env['KFGUARD_STAGE_SETTINGS'] = JSON.stringify({ mirror: { timeout: 2 } });
    resetRuntimeConfig();
    await deploy('kf-timeout', { builds: { mirror: { status: 'never-finishes' } } });
    const deployment = await finished('kf-timeout');
    expect(deployment).toMatchObject({ status: 'failed', failedStage: 'mirror' });
    expect(deployment['reason']).toMatch(/no report within the stage timeout/);
    expect(t.stack.workflows.executions().find((execution) => (execution.argument as any).deploymentId === 'kf-timeout')?.state).toBe('FAILED');
  }, 90_000);

  it('a retryable failure is retried with backoff, then succeeds', async () => {
    await deploy('kf-retry', { builds: { fetch: { status: 'INTERNAL_ERROR', times: 1 } } });
    const deployment = await finished('kf-retry');
    expect(deployment['status']).toBe('succeeded');
    const fetch = (await stages('kf-retry')).find((record) => record['stage'] === 'fetch')!;
    expect(fetch).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(fetch['history'].map((entry: any) => entry.status)).toEqual(['running', 'running', 'retryable', 'running', 'running', 'succeeded']);
    expect(buildsOf('kf-retry').filter((build) => stageOf(build) === 'fetch').map((build) => build['status'])).toEqual(expect.arrayContaining(['INTERNAL_ERROR', 'SUCCESS']));
  }, 90_000);

  it('a stage whose handler keeps failing fails the deployment with the error, not with a timeout', async () => {
    await t.stack.loadScenario(deployScenario());
    t.stack.kubernetes.setUnavailable('etcdserver: request timed out');
    try {
      await deploy('kf-kube-down');
      const deployment = await finished('kf-kube-down');
      expect(deployment).toMatchObject({ status: 'failed', failedStage: 'preflight' });
      expect(deployment['reason']).toMatch(/the stage failed \d+ times in a row: .*etcdserver: request timed out/);
      expect(deployment['reason']).not.toMatch(/no report within the stage timeout/);
      expect((await stages('kf-kube-down'))[0]).toMatchObject({ stage: 'preflight', attempt: 4, status: 'retryable' });
    } finally {
      t.stack.kubernetes.setUnavailable(undefined);
    }
  }, 90_000);

  it("the gate stops manifests whose cluster does not have the request's ranges", async () => {
    const request = deploymentRequest('kf-ranges');
    await deploy('kf-ranges', {}, { network: { ...request['network'], controlPlaneCidr: '172.16.0.48/28' } });
    const deployment = await finished('kf-ranges');
    expect(deployment).toMatchObject({ status: 'failed', failedStage: 'gate' });
    expect(deployment['reason']).toContain("does not have the request's network ranges: control plane 172.16.0.32/28 (requested 172.16.0.48/28)");
    expect(buildsOf('kf-ranges').map(stageOf).sort()).toEqual(['configure', 'fetch']);
  }, 90_000);

  it('refuses a request with a plaintext secret, without storing or logging it', async () => {
    await t.pubsub.topic(TOPICS.deployRequests).publishMessage({ json: deploymentRequest('kf-secret', { iap: { clientId: '123456789012-x.apps.googleusercontent.com', clientSecret: 'GOCSPX-do-not-store' } }) });
    await t.settle();
    expect((await t.db.collection('deployments').doc('kf-secret').get()).exists).toBe(false);
    const rejected = (await t.db.collection('rejected').get()).docs.map((doc) => doc.data()).find((record) => record['function'] === 'deployTrigger');
    expect(rejected?.['reason']).toContain('iap.clientSecret: plaintext secrets are refused');
    expect(JSON.stringify(rejected)).not.toContain('GOCSPX-do-not-store');
  });
});
