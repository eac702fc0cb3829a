import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { deploymentRequest, deployScenario } from '../helpers/scenarios.js';
import { runCli } from '../helpers/cli.js';
import { listenOnLoopback } from '../../functions/src/dev/listen.js';
import { LOCAL_BUCKET } from '../../functions/src/dev/stack.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import { parseDeploymentRequest, serializableRequest, type DeploymentRequest } from '../../functions/src/core/deploy/request.js';
import { stageBuild } from '../../functions/src/core/deploy/builds.js';
import type { StageName, StageResult } from '../../functions/src/core/deploy/stages.js';
import { DeploymentStore } from '../../functions/src/adapters/firestore/deployments.js';
import { submitBuild } from '../../functions/src/adapters/gcp/cloud-build.js';
import { startWorkflowExecution } from '../../functions/src/adapters/gcp/workflows.js';
import { handleDeployRequest, StartInProgress, workflowArgument } from '../../functions/src/adapters/pipeline/deploy-trigger.js';
import { createLogger } from '../../functions/src/adapters/logger.js';
import { MAX_FAILED_DELIVERIES } from '../../functions/src/adapters/deploy/stage-failure.js';

/**
 * stageRunner and deployTrigger against the local stack, driven the way the workflow and Pub/Sub
 * drive them (StageRequests published to the stage topic, reports POSTed to a callback URL), in
 * the situations the workflow cannot stage on demand: redeliveries, crashes, handlers that fail.
 */
let t: TestStack;
let store: DeploymentStore;
let callbacks: Server;
let callbackBase: string;
const posts: { name: string; result: StageResult }[] = [];

beforeAll(async () => {
  t = await startTestStack({ functions: ['deployTrigger', 'stageRunner'], workflowTimeScale: 0.001 });
  store = new DeploymentStore(t.db);
  callbacks = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posts.push({ name: (request.url ?? '').slice(1), result: JSON.parse(Buffer.concat(chunks).toString('utf8')) as StageResult });
      response.writeHead(200).end();
    });
  });
  callbackBase = `http://127.0.0.1:${await listenOnLoopback(callbacks, 0, 'test callbacks')}`;
}, 60_000);

afterAll(async () => {
  callbacks?.close();
  await t?.stop();
});

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const postsTo = (name: string) => posts.filter((post) => post.name === name).map((post) => post.result);

/** Polls (at most timeoutMs, every 50 ms) until probe returns something. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  for (let tries = 0; tries < timeoutMs / 50; tries++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const reportTo = (name: string) => until(`a report to ${name}`, () => postsTo(name)[0]);

function request(id: string, changes: Record<string, unknown> = {}): DeploymentRequest {
  const parsed = parseDeploymentRequest(deploymentRequest(id, changes));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.request;
}

/** A deployment whose workflow is running (its record as deployTrigger leaves it). */
async function deploymentRunning(id: string, stored: Record<string, unknown> = serializableRequest(request(id))): Promise<void> {
  const at = new Date().toISOString();
  await store.create({ id, request: stored, status: 'running', createdAt: at, updatedAt: at, startingAt: at, startGeneration: 1, executionName: `projects/p/locations/l/workflows/w/executions/${id}` });
}

const inputsOf = (id: string) => ({
  package: `gs://${LOCAL_BUCKET}/deployments/${id}/package`,
  manifests: `gs://${LOCAL_BUCKET}/deployments/${id}/package/.build/`,
  cluster: 'projects/kf-test-project/locations/us-central1/clusters/kf-test',
});

/** Publishes a StageRequest as the workflow does; `callback` names its callback endpoint. */
async function ask(id: string, stage: StageName, attempt: number, poll: number, callback: string, inputs: Record<string, string> = inputsOf(id)): Promise<void> {
  await t.pubsub.topic(TOPICS.stageRequests).publishMessage({ json: { kind: 'run', deploymentId: id, stage, attempt, poll, inputs, callbackUrl: `${callbackBase}/${callback}` } });
}

const buildsOf = (id: string, stage: StageName) => t.stack.cloudBuild.builds().filter((build) => (build['tags'] as string[]).includes(`deployment-${id}`) && (build['tags'] as string[]).includes(`stage-${stage}`));

describe('a redelivered StageRequest never starts a second Cloud Build job', () => {
  it('a late copy of attempt 1, arriving while attempt 2 runs, is dropped: no third build, attempt 2 reports', async () => {
    const id = 'kf-late-copy';
    await t.stack.loadScenario(deployScenario());
    t.stack.cloudBuild.setBehaviour((build) => ((build['tags'] as string[]).includes('attempt-1') ? { status: 'INTERNAL_ERROR', durationMs: 20 } : { status: 'SUCCESS', durationMs: 1500 }));
    await deploymentRunning(id);
    await ask(id, 'fetch', 1, 1, 'late-1');
    expect((await reportTo('late-1')).status).toBe('retryable');
    await ask(id, 'fetch', 2, 1, 'late-2');
    await until('attempt 2 to record its build', async () => ((await store.stage(id, 'fetch'))?.buildId && (await store.stage(id, 'fetch'))?.attempt === 2 ? true : undefined));
    await ask(id, 'fetch', 1, 1, 'late-1');
    expect(await reportTo('late-2')).toMatchObject({ status: 'succeeded', outputs: { package: inputsOf(id).package } });
    await t.settle();
    expect(buildsOf(id, 'fetch')).toHaveLength(2);
    expect(postsTo('late-1')).toHaveLength(1);
    expect(await store.stage(id, 'fetch')).toMatchObject({ attempt: 2, status: 'succeeded', callbackUrl: `${callbackBase}/late-2` });
  });

  it('a delivery that crashed after creating its build but before recording it: the redelivery adopts that build', async () => {
    const id = 'kf-crash-built';
    await t.stack.loadScenario(deployScenario());
    t.stack.cloudBuild.setBehaviour(() => ({ status: 'SUCCESS', durationMs: 1000 }));
    await deploymentRunning(id);
    // What the crashed delivery left: the ask begun, the build claimed and created, its id never recorded.
    await store.beginAsk(id, 'fetch', { attempt: 1, poll: 1, callbackUrl: `${callbackBase}/crash-built` }, ago(10 * MINUTE));
    await store.claimBuild(id, 'fetch', 1, ago(10 * MINUTE));
    const orphan = await submitBuild(stageBuild('fetch', request(id), {}, { bucket: LOCAL_BUCKET, toolboxImage: 'toolbox' }, id, 1).build);
    await ask(id, 'fetch', 1, 1, 'crash-built');
    expect((await reportTo('crash-built')).status).toBe('succeeded');
    await t.settle();
    expect(buildsOf(id, 'fetch').map((build) => build['id'])).toEqual([orphan]);
    expect((await t.db.collection('deployments').doc(id).collection('builds').doc('fetch-1').get()).data()).toMatchObject({ buildId: orphan, generation: 1 });
  });

  it("a service that ignored the tags filter: the build adopted is the one carrying this stage's tags, not the newest", async () => {
    const id = 'kf-crash-unfiltered';
    await t.stack.loadScenario(deployScenario());
    t.stack.cloudBuild.setBehaviour(() => ({ status: 'SUCCESS', durationMs: 1000 }));
    await deploymentRunning(id);
    await store.beginAsk(id, 'fetch', { attempt: 1, poll: 1, callbackUrl: `${callbackBase}/crash-unfiltered` }, ago(10 * MINUTE));
    await store.claimBuild(id, 'fetch', 1, ago(10 * MINUTE));
    const orphan = await submitBuild(stageBuild('fetch', request(id), {}, { bucket: LOCAL_BUCKET, toolboxImage: 'toolbox' }, id, 1).build);
    // Newer, and another attempt's: what an unfiltered listing puts first.
    await submitBuild(stageBuild('fetch', request(id), {}, { bucket: LOCAL_BUCKET, toolboxImage: 'toolbox' }, id, 2).build);
    t.stack.cloudBuild.ignoreListFilters(true);
    try {
      await ask(id, 'fetch', 1, 1, 'crash-unfiltered');
      expect((await reportTo('crash-unfiltered')).status).toBe('succeeded');
    } finally {
      t.stack.cloudBuild.ignoreListFilters(false);
    }
    expect((await t.db.collection('deployments').doc(id).collection('builds').doc('fetch-1').get()).data()).toMatchObject({ buildId: orphan });
  });

  it('a delivery that crashed after claiming but before creating its build: one redelivery takes the claim over and submits', async () => {
    const id = 'kf-crash-claimed';
    await t.stack.loadScenario(deployScenario());
    await deploymentRunning(id);
    await store.beginAsk(id, 'fetch', { attempt: 1, poll: 1, callbackUrl: `${callbackBase}/crash-claimed` }, ago(10 * MINUTE));
    await store.claimBuild(id, 'fetch', 1, ago(10 * MINUTE));
    await ask(id, 'fetch', 1, 1, 'crash-claimed');
    await ask(id, 'fetch', 1, 1, 'crash-claimed');
    expect((await reportTo('crash-claimed')).status).toBe('succeeded');
    await t.settle();
    expect(buildsOf(id, 'fetch')).toHaveLength(1);
    expect((await t.db.collection('deployments').doc(id).collection('builds').doc('fetch-1').get()).data()).toMatchObject({ buildId: buildsOf(id, 'fetch')[0]!['id'], generation: 2 });
  });
});

describe('a deployment that has ended', () => {
  it('ignores a StageRequest delivered after the workflow gave up, and stays failed', async () => {
    const id = 'kf-ended';
    await deploymentRunning(id);
    await store.update(id, { status: 'failed', failedStage: 'fetch', reason: 'no report within the stage timeout' }, new Date());
    await ask(id, 'fetch', 1, 1, 'ended');
    await t.settle();
    expect(postsTo('ended')).toEqual([]);
    expect(buildsOf(id, 'fetch')).toEqual([]);
    expect(await store.get(id)).toMatchObject({ status: 'failed', failedStage: 'fetch' });
  });
});

describe('a stage whose handler keeps failing reports why, instead of leaving the workflow to time out', () => {
  it('transient errors: retryable with the error after a bounded number of deliveries', async () => {
    const id = 'kf-kube-down';
    await t.stack.loadScenario(deployScenario());
    await deploymentRunning(id);
    t.stack.kubernetes.setUnavailable('etcdserver: request timed out');
    try {
      await ask(id, 'preflight', 1, 1, 'kube-down');
      const report = await reportTo('kube-down');
      expect(report.status).toBe('retryable');
      expect(report.reason).toBe(`the stage failed ${MAX_FAILED_DELIVERIES} times in a row: Kubernetes API HTTP 503: etcdserver: request timed out`);
    } finally {
      t.stack.kubernetes.setUnavailable(undefined);
    }
    expect(await store.stage(id, 'preflight')).toMatchObject({ status: 'retryable', deliveries: MAX_FAILED_DELIVERIES });
  });

  it('an error that will not go away: failed at once, saying why', async () => {
    const id = 'kf-bad-record';
    await deploymentRunning(id, { ...serializableRequest(request(id)), name: 'Not A Name' });
    await ask(id, 'preflight', 1, 1, 'bad-record');
    const report = await reportTo('bad-record');
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringContaining('its stored request no longer validates') });
    expect((await store.stage(id, 'preflight'))?.deliveries).toBe(1);
  });

  it('a stage asked without the inputs it needs fails, naming them and where they come from', async () => {
    const id = 'kf-no-inputs';
    await deploymentRunning(id);
    await ask(id, 'gate', 1, 1, 'no-inputs', { package: inputsOf(id).package });
    expect(await reportTo('no-inputs')).toMatchObject({ status: 'failed', reason: expect.stringContaining('gate needs the input manifests, which configure hands on') });
  });
});

describe('wait-cluster', () => {
  it('a waiting stage keeps its first start and counts polls apart from attempts', async () => {
    const id = 'kf-polls';
    await t.stack.loadScenario(deployScenario({ cluster: { status: 'PROVISIONING' } }));
    await deploymentRunning(id);
    for (const poll of [1, 2, 3]) {
      await ask(id, 'wait-cluster', 1, poll, `polls-${poll}`);
      expect((await reportTo(`polls-${poll}`)).status).toBe('waiting');
    }
    const stage = (await store.stage(id, 'wait-cluster'))!;
    expect(stage).toMatchObject({ attempt: 1, polls: 3, status: 'waiting' });
    expect(stage.startedAt).toBe(stage.history[0]!.at);
    expect(stage.history.map((entry) => [entry.attempt, entry.poll, entry.status])).toEqual([
      [1, 1, 'running'], [1, 1, 'waiting'], [1, 2, 'running'], [1, 2, 'waiting'], [1, 3, 'running'], [1, 3, 'waiting'],
    ]);
    const timeline = await runCli(['deployments', id], { env: process.env });
    expect(timeline.stdout).toMatch(/^wait-cluster\s+waiting\s+1\s/m);
  });

  it('a resource whose condition has no transition time is not Ready since the stage began', async () => {
    const id = 'kf-no-since';
    const scenario = deployScenario({ brokenConfigConnector: true });
    for (const object of scenario.kubernetesObjects as any[]) for (const condition of object.status?.conditions ?? []) delete condition.lastTransitionTime;
    await t.stack.loadScenario(scenario);
    await deploymentRunning(id);
    await store.beginAsk(id, 'wait-cluster', { attempt: 1, poll: 1, callbackUrl: `${callbackBase}/no-since-1` }, ago(30 * MINUTE));
    await ask(id, 'wait-cluster', 1, 2, 'no-since-2');
    const report = await reportTo('no-since-2');
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^2 Config Connector resources not Ready after 20 minutes/) });
    expect(report.findings?.map((finding) => finding.rule)).toEqual(['cnrm-resource-not-ready', 'cnrm-resource-not-ready']);
  });

  it('a RUNNING cluster with no labelled Config Connector resources fails after the grace period, saying where it looked', async () => {
    const scenario = deployScenario();
    await t.stack.loadScenario({ ...scenario, kubernetesObjects: scenario.kubernetesObjects.filter((object: any) => !object.metadata?.labels?.['kf-name']) });
    await deploymentRunning('kf-no-resources-yet');
    await ask('kf-no-resources-yet', 'wait-cluster', 1, 1, 'no-resources-yet');
    expect((await reportTo('no-resources-yet')).status).toBe('waiting');
    await deploymentRunning('kf-no-resources');
    await store.beginAsk('kf-no-resources', 'wait-cluster', { attempt: 1, poll: 1, callbackUrl: `${callbackBase}/no-resources-1` }, ago(10 * MINUTE));
    await ask('kf-no-resources', 'wait-cluster', 1, 2, 'no-resources-2');
    expect(await reportTo('no-resources-2')).toMatchObject({ status: 'failed', reason: expect.stringContaining('namespace kf-test-project of kf-mgmt has no Config Connector resources labelled kf-name=kf-test') });
  });
});

describe('deployTrigger never starts a second execution', () => {
  const event = (id: string) => ({ id: `event-${id}`, source: 'test', data: { message: { data: Buffer.from(JSON.stringify(serializableRequest(request(id)))).toString('base64') } } });
  const context = () => ({ logger: createLogger({ test: 'deploy-trigger' }), now: new Date() });
  const executionsOf = (id: string) => t.stack.workflows.executions().filter((execution) => execution.labels?.['kfguard-deployment'] === id);

  /** The record of a start that crashed two minutes ago, before it recorded an execution. */
  async function crashedStart(id: string): Promise<void> {
    const at = ago(2 * MINUTE).toISOString();
    await store.create({ id, request: serializableRequest(request(id)), status: 'accepted', createdAt: at, updatedAt: at, startingAt: at, startGeneration: 1 });
  }

  it('a start that crashed after creating the execution: the takeover finds it by its label and records it', async () => {
    const id = 'kf-crashed-start';
    await crashedStart(id);
    const created = await startWorkflowExecution('kfguard-deploy-kubeflow', workflowArgument(request(id), t.stack.projectId, {}), { 'kfguard-deployment': id });
    await handleDeployRequest(event(id), context());
    expect(executionsOf(id).map((execution) => execution.name)).toEqual([created]);
    expect((await store.get(id))?.executionName).toBe(created);
  });

  it("a service that ignored the label filter: the takeover records this deployment's execution, not another's newer one", async () => {
    const id = 'kf-crashed-unfiltered';
    await crashedStart(id);
    const created = await startWorkflowExecution('kfguard-deploy-kubeflow', workflowArgument(request(id), t.stack.projectId, {}), { 'kfguard-deployment': id });
    await startWorkflowExecution('kfguard-deploy-kubeflow', workflowArgument(request('kf-someone-else'), t.stack.projectId, {}), { 'kfguard-deployment': 'kf-someone-else' });
    t.stack.workflows.ignoreListFilters(true);
    try {
      await handleDeployRequest(event(id), context());
    } finally {
      t.stack.workflows.ignoreListFilters(false);
    }
    expect(executionsOf(id).map((execution) => execution.name)).toEqual([created]);
    expect((await store.get(id))?.executionName).toBe(created);
  });

  it('two deliveries taking over the same crashed start at once start one execution', async () => {
    const id = 'kf-double-takeover';
    await crashedStart(id);
    const outcomes = await Promise.allSettled([handleDeployRequest(event(id), context()), handleDeployRequest(event(id), context())]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: expect.any(StartInProgress) });
    expect(executionsOf(id)).toHaveLength(1);
    expect(await store.get(id)).toMatchObject({ startGeneration: 2, executionName: executionsOf(id)[0]!.name });
  });
});

describe('kfguard deployments', () => {
  it('lists the newest deployments, as many as --limit says', async () => {
    // Created in the future, so they are newer than every other test's deployments.
    for (const [id, minutes] of [['kf-list-old', 1], ['kf-list-mid', 2], ['kf-list-new', 3]] as const) {
      const at = new Date(Date.now() + minutes * MINUTE).toISOString();
      await store.create({ id, request: serializableRequest(request(id)), status: 'succeeded', createdAt: at, updatedAt: at, startingAt: at });
    }
    const listed = await runCli(['deployments', '--limit', '2', '--format', 'json'], { env: process.env });
    expect(JSON.parse(listed.stdout).deployments.map((deployment: { id: string }) => deployment.id)).toEqual(['kf-list-new', 'kf-list-mid']);
    expect((await runCli(['deployments', '--limit', '0'], { env: process.env })).stderr).toMatch(/--limit 0: a whole number from 1 to 500/);
  });
});

describe('kfguard deploy', () => {
  const requestFile = (id: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'kfguard-deploy-')), 'request.json');
    writeFileSync(path, JSON.stringify(deploymentRequest(id)));
    return path;
  };

  it('refuses an id that already exists, saying its status, and publishes nothing', async () => {
    const id = 'kf-deploy-taken';
    await deploymentRunning(id);
    const result = await runCli(['deploy', requestFile(id)], { env: process.env });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `kfguard: deployment ${id} already exists (status running); see it with kfguard deployments ${id}, or give the request a new id to deploy again\n`,
    });
    expect(await store.get(id)).toMatchObject({ status: 'running', startGeneration: 1 });
  });

  it('publishes a new id, and refuses the same request once deployTrigger has recorded it', async () => {
    const id = 'kf-deploy-twice';
    const file = requestFile(id);
    const first = await runCli(['deploy', file], { env: process.env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^published deployment ${id} \\(message \\d+\\)`));
    const recorded = await until(`deployments/${id}`, () => store.get(id));
    const again = await runCli(['deploy', file], { env: process.env });
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`^kfguard: deployment ${id} already exists \\(status (accepted|running|failed|succeeded)\\)`));
    expect(recorded.id).toBe(id);
  });
});
